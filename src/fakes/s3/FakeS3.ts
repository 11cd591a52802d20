import { constants as bufferConstants } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { CredentialAuthority } from "../CredentialAuthority.js";
import { authenticateRequest } from "./authenticateRequest.js";
import { ClientDisconnectedError } from "./ClientDisconnectedError.js";
import type { FakeS3Options } from "./FakeS3Options.js";
import { FaultSchedule } from "./FaultSchedule.js";
import { flattenHeaders } from "./flattenHeaders.js";
import { IngestThrottle } from "./IngestThrottle.js";
import { InvalidBucketNameError } from "./InvalidBucketNameError.js";
import { isValidBucketName } from "./isValidBucketName.js";
import { listAllMyBucketsXml } from "./listAllMyBucketsXml.js";
import { listBucketResultXml } from "./listBucketResultXml.js";
import { listObjectsV2Page, type ListObjectsV2Query } from "./listObjectsV2Page.js";
import { ObjectStore, type ListedObject } from "./ObjectStore.js";
import { objectResponseHeaders } from "./objectResponseHeaders.js";
import { parseRequestTarget, queryValue, type RequestTarget } from "./parseRequestTarget.js";
import { payloadMode } from "./payloadMode.js";
import { readBody } from "./readBody.js";
import { resolveOperation, type S3Operation } from "./resolveOperation.js";
import { S3Error } from "./S3Error.js";
import { s3ErrorXml } from "./s3ErrorXml.js";
import { s3Errors } from "./s3Errors.js";
import type { S3Fault } from "./S3Fault.js";
import type { S3RequestRecord } from "./S3RequestRecord.js";
import type { StoredObject } from "./StoredObject.js";
import { userMetadata } from "./userMetadata.js";
import { verifyPayload } from "./verifyPayload.js";

const DEFAULT_MAX_SKEW_MS = 15 * 60_000;
const S3_MAX_PUT_BYTES = 5 * 1024 ** 3;
const OWNER_ID = "0000000000000000000000000000000000000000000000000000000000f4e53a";
/** Headers never kept with a stored object: they carry credentials. */
const SECRET_HEADERS = new Set(["authorization", "x-amz-security-token"]);

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** One request/response exchange, from arrival to its line in the request log. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly hostId: string;
  readonly record: Writable<S3RequestRecord>;
}

/** An authenticated request, ready for its operation. */
interface Call {
  readonly x: Exchange;
  readonly target: RequestTarget;
  readonly headers: Readonly<Record<string, string>>;
  readonly accessKeyId: string;
  readonly payloadHash: string;
}

/**
 * An in-process, path-style S3 endpoint that verifies SigV4 the way S3 does, against the
 * credentials a `CredentialAuthority` issued — so expired, revoked or mis-signed requests fail
 * with the same codes production would return. It serves PutObject, GetObject, HeadObject,
 * DeleteObject, ListObjectsV2, CreateBucket, HeadBucket and ListBuckets, keeps objects in memory,
 * logs every request, and can inject faults for resilience tests.
 */
export class FakeS3 {
  /** `http://host:port`, for an S3 client's `endpoint` (with `forcePathStyle: true`). */
  readonly endpoint: string;

  readonly #server: Server;
  readonly #store = new ObjectStore();
  readonly #faults = new FaultSchedule();
  readonly #log: S3RequestRecord[] = [];
  readonly #authority: CredentialAuthority;
  readonly #now: () => number;
  readonly #maxSkewMs: number;
  readonly #region: string | undefined;
  readonly #maxObjectBytes: number;
  readonly #throttle: IngestThrottle | undefined;
  /** Aborted by `close()`, ending any stall in progress. */
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;

  private constructor(server: Server, options: FakeS3Options) {
    this.#server = server;
    this.#authority = options.authority;
    this.#now = options.now ?? Date.now;
    this.#maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.#region = options.region;
    this.#maxObjectBytes = options.maxObjectBytes ?? Math.min(S3_MAX_PUT_BYTES, bufferConstants.MAX_LENGTH);
    this.#throttle = options.maxBytesPerSecond === undefined ? undefined : new IngestThrottle(options.maxBytesPerSecond);
    const address = server.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    this.endpoint = `http://${host}:${address.port}`;
  }

  /** Starts listening (default `127.0.0.1`, ephemeral port) and resolves once connections are accepted. */
  static async start(options: FakeS3Options): Promise<FakeS3> {
    if (options.maxSkewMs !== undefined && !(options.maxSkewMs >= 0)) throw new RangeError("maxSkewMs must be >= 0");
    if (options.maxObjectBytes !== undefined && !(options.maxObjectBytes >= 0)) {
      throw new RangeError("maxObjectBytes must be >= 0");
    }
    for (const bucket of options.buckets ?? []) if (!isValidBucketName(bucket)) throw new InvalidBucketNameError(bucket);

    let fake: FakeS3 | undefined;
    const server = createServer((req, res) => {
      // Requests only arrive after "listening", by which time `fake` is set.
      if (fake !== undefined) void fake.#handle(req, res);
    });
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1");
    await once(server, "listening");
    try {
      fake = new FakeS3(server, options);
    } catch (error) {
      // An option the constructor refuses (e.g. maxBytesPerSecond) must not leave a port open.
      server.close();
      throw error;
    }
    for (const bucket of options.buckets ?? []) fake.createBucket(bucket);
    return fake;
  }

  /** Every request received so far, in the order they were answered. */
  get requests(): readonly S3RequestRecord[] {
    return this.#log;
  }

  /** Requests that failed (any `errorCode`), or only those that failed with `code`. */
  rejected(code?: string): S3RequestRecord[] {
    return this.#log.filter((r) => r.errorCode !== undefined && (code === undefined || r.errorCode === code));
  }

  /** Creates a bucket (no-op if it exists). Throws `InvalidBucketNameError` for a name S3 refuses. */
  createBucket(name: string): void {
    if (!isValidBucketName(name)) throw new InvalidBucketNameError(name);
    this.#store.createBucket(name, new Date(this.#now()));
  }

  getObject(bucket: string, key: string): StoredObject | undefined {
    return this.#store.get(bucket, key);
  }

  /** Objects under `prefix`, sorted by key as S3 lists them. */
  listObjects(bucket: string, prefix?: string): ListedObject[] {
    return this.#store.list(bucket, prefix);
  }

  /** Arms a fault for object requests; see `S3Fault`. Throws `RangeError` for a malformed fault. */
  injectFault(fault: S3Fault): void {
    this.#faults.add(fault);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** Stops listening and destroys every connection, including idle keep-alive sockets and stalled requests. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#closing.abort();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const x: Exchange = {
      req,
      res,
      requestId: randomBytes(8).toString("hex").toUpperCase(),
      hostId: randomBytes(32).toString("base64"),
      record: { at: new Date(this.#now()), method, status: 0 },
    };
    try {
      const target = parseRequestTarget(req.url ?? "/");
      if (target.bucket !== undefined) x.record.bucket = target.bucket;
      if (target.key !== undefined) x.record.key = target.key;
      const headers = flattenHeaders(req);
      const operation = resolveOperation(method, target, headers);
      x.record.operation = operation;
      if (target.key !== undefined && !(await this.#survivesNetworkFaults(x, target.key))) return;

      const { accessKeyId, payloadHash } = await authenticateRequest({
        method,
        rawPath: target.rawPath,
        query: target.query,
        headers,
        authority: this.#authority,
        now: this.#now(),
        maxSkewMs: this.#maxSkewMs,
        ...(this.#region === undefined ? {} : { region: this.#region }),
      });
      x.record.accessKeyId = accessKeyId;
      if (target.key !== undefined) this.#throwServiceFault(method, target.key);
      await this.#perform(operation, { x, target, headers, accessKeyId, payloadHash });
    } catch (error) {
      this.#fail(x, error);
    }
  }

  /** Applies an armed reset or stall; `false` when the request is gone and must not be answered. */
  async #survivesNetworkFaults(x: Exchange, key: string): Promise<boolean> {
    const fault = this.#faults.take(["reset", "stall"], { method: x.record.method, key });
    if (fault === undefined) return true;
    if (fault.kind === "reset") {
      this.#drop(x, "InjectedReset");
      x.req.socket.destroy();
      return false;
    }
    try {
      await sleep(fault.forMs, undefined, { signal: this.#closing.signal });
    } catch {
      // Aborted by close(); the check below drops the request.
    }
    if (x.req.socket.destroyed || this.#closing.signal.aborted) {
      this.#drop(x, "ClientDisconnected");
      return false;
    }
    return true;
  }

  #throwServiceFault(method: string, key: string): void {
    const fault = this.#faults.take(["error", "deny"], { method, key });
    if (fault?.kind === "error") {
      throw new S3Error(fault.status, fault.code, fault.message ?? "Injected fault: please retry.");
    }
    if (fault?.kind === "deny") throw s3Errors.accessDenied();
  }

  #perform(operation: S3Operation, call: Call): Promise<void> | void {
    switch (operation) {
      case "ListBuckets":
        return this.#sendXml(call.x, 200, listAllMyBucketsXml(this.#store.buckets(), OWNER_ID));
      case "CreateBucket":
        return this.#createBucket(call);
      case "HeadBucket":
        this.#requireBucket(call.target);
        return this.#send(call.x, 200, { "x-amz-bucket-region": this.#region ?? "us-east-1" });
      case "ListObjectsV2":
        return this.#listObjectsV2(call);
      case "PutObject":
        return this.#putObject(call);
      case "GetObject":
      case "HeadObject":
        return this.#getObject(call, operation === "GetObject");
      case "DeleteObject": {
        const { bucket, key } = this.#requireObjectTarget(call.target);
        this.#store.delete(bucket, key);
        return this.#send(call.x, 204, {});
      }
    }
  }

  async #createBucket(call: Call): Promise<void> {
    const bucket = call.target.bucket ?? "";
    if (!isValidBucketName(bucket)) throw s3Errors.invalidBucketName(bucket);
    // The optional CreateBucketConfiguration is not interpreted, but its payload is still verified.
    verifyPayload({ payloadHash: call.payloadHash, headers: call.headers, wireBody: await this.#readBody(call, 1024 * 1024) });
    if (!this.#store.createBucket(bucket, new Date(this.#now()))) throw s3Errors.bucketAlreadyOwnedByYou(bucket);
    this.#send(call.x, 200, { location: `/${bucket}` });
  }

  #listObjectsV2(call: Call): void {
    const bucket = this.#requireBucket(call.target);
    const query = call.target.query;
    const maxKeysText = queryValue(query, "max-keys");
    if (maxKeysText !== undefined && !/^\d{1,9}$/.test(maxKeysText)) {
      throw s3Errors.invalidArgument("Provided max-keys not an integer or within integer range", {
        ArgumentName: "max-keys",
        ArgumentValue: maxKeysText,
      });
    }
    const encodingType = queryValue(query, "encoding-type");
    if (encodingType !== undefined && encodingType !== "url") {
      throw s3Errors.invalidArgument("Invalid Encoding Method specified in Request", { ArgumentName: "encoding-type" });
    }
    const delimiter = queryValue(query, "delimiter");
    const startAfter = queryValue(query, "start-after");
    const continuationToken = queryValue(query, "continuation-token");
    const list: ListObjectsV2Query = {
      prefix: queryValue(query, "prefix") ?? "",
      maxKeys: Math.min(maxKeysText === undefined ? 1000 : Number(maxKeysText), 1000),
      ...(delimiter === undefined ? {} : { delimiter }),
      ...(startAfter === undefined ? {} : { startAfter }),
      ...(continuationToken === undefined ? {} : { continuationToken }),
    };
    const page = listObjectsV2Page(this.#store.list(bucket, list.prefix), list);
    this.#sendXml(call.x, 200, listBucketResultXml(bucket, list, page, encodingType === "url"));
  }

  async #putObject(call: Call): Promise<void> {
    const { bucket, key } = this.#requireObjectTarget(call.target);
    const { headers } = call;
    // Refuse unsupported payload modes before reading a body that would be thrown away.
    const streaming = payloadMode(call.payloadHash) === "streaming-unsigned-trailer";
    // S3 needs the object size up front: Content-Length, or for aws-chunked the decoded length.
    const declared = headers[streaming ? "x-amz-decoded-content-length" : "content-length"];
    if (declared === undefined || !/^\d+$/.test(declared)) throw s3Errors.missingContentLength();
    const size = Number(declared);
    if (size > this.#maxObjectBytes) throw s3Errors.entityTooLarge(this.#maxObjectBytes);
    // aws-chunked framing costs a few bytes per chunk on top of the object.
    const wireLimit = streaming ? size + 64 * 1024 + Math.ceil(size / 100) : size;

    const payload = verifyPayload({ payloadHash: call.payloadHash, headers, wireBody: await this.#readBody(call, wireLimit) });
    this.#checkWriteConditions(bucket, key, headers);
    const etag = `"${createHash("md5").update(payload.body).digest("hex")}"`;
    const contentType = headers["content-type"];
    this.#store.put(bucket, key, {
      body: payload.body,
      ...(contentType === undefined ? {} : { contentType }),
      ...(payload.contentEncoding === undefined ? {} : { contentEncoding: payload.contentEncoding }),
      metadata: userMetadata(headers),
      headers: Object.fromEntries(Object.entries(headers).filter(([name]) => !SECRET_HEADERS.has(name))),
      lastModified: new Date(this.#now()),
      accessKeyId: call.accessKeyId,
      etag,
      ...(payload.checksum === undefined ? {} : { checksum: payload.checksum }),
    });
    this.#send(call.x, 200, {
      etag,
      "x-amz-server-side-encryption": "AES256",
      ...(payload.checksum === undefined
        ? {}
        : { [`x-amz-checksum-${payload.checksum.algorithm}`]: payload.checksum.value, "x-amz-checksum-type": "FULL_OBJECT" }),
    });
  }

  /** S3 conditional writes: `If-None-Match: *` (create only) and `If-Match: <etag>` (replace only that version). */
  #checkWriteConditions(bucket: string, key: string, headers: Readonly<Record<string, string>>): void {
    const existing = this.#store.get(bucket, key);
    const ifNoneMatch = headers["if-none-match"];
    if (ifNoneMatch !== undefined) {
      if (ifNoneMatch.trim() !== "*") throw s3Errors.notImplemented("If-None-Match other than * on PutObject");
      if (existing !== undefined) throw s3Errors.preconditionFailed("If-None-Match");
    }
    const ifMatch = headers["if-match"];
    if (ifMatch !== undefined) {
      if (existing === undefined) throw s3Errors.noSuchKey(key);
      const wanted = ifMatch.split(",").map((tag) => tag.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1"));
      if (!wanted.includes("*") && !wanted.includes(existing.etag.slice(1, -1))) {
        throw s3Errors.preconditionFailed("If-Match");
      }
    }
  }

  #getObject(call: Call, withBody: boolean): void {
    const { bucket, key } = this.#requireObjectTarget(call.target);
    const object = this.#store.get(bucket, key);
    if (object === undefined) throw s3Errors.noSuchKey(key);
    const checksumMode = call.headers["x-amz-checksum-mode"]?.toUpperCase() === "ENABLED";
    this.#send(call.x, 200, objectResponseHeaders(object, checksumMode), withBody ? object.body : undefined);
  }

  #requireBucket(target: RequestTarget): string {
    const bucket = target.bucket ?? "";
    if (!this.#store.hasBucket(bucket)) throw s3Errors.noSuchBucket(bucket);
    return bucket;
  }

  #requireObjectTarget(target: RequestTarget): { bucket: string; key: string } {
    return { bucket: this.#requireBucket(target), key: target.key ?? "" };
  }

  #readBody(call: Call, maxBytes: number): Promise<Buffer> {
    return readBody(call.x.req, maxBytes, this.#throttle);
  }

  #sendXml(x: Exchange, status: number, xml: string): void {
    this.#send(x, status, { "content-type": "application/xml" }, Buffer.from(xml, "utf8"));
  }

  #send(x: Exchange, status: number, headers: Record<string, string>, body?: Buffer, errorCode?: string): void {
    const { res } = x;
    res.writeHead(status, {
      // From the server clock: SDKs correct their clock skew from this header.
      date: new Date(this.#now()).toUTCString(),
      server: "AmazonS3",
      "x-amz-request-id": x.requestId,
      "x-amz-id-2": x.hostId,
      ...(body === undefined ? {} : { "content-length": String(body.length) }),
      ...headers,
    });
    res.end(body);
    x.record.status = status;
    if (errorCode !== undefined) x.record.errorCode = errorCode;
    this.#log.push(x.record);
  }

  /** Logs a request that gets no answer. */
  #drop(x: Exchange, errorCode: string): void {
    x.record.errorCode = errorCode;
    this.#log.push(x.record);
  }

  #fail(x: Exchange, error: unknown): void {
    if (error instanceof ClientDisconnectedError) return this.#drop(x, "ClientDisconnected");
    const s3Error = error instanceof S3Error ? error : s3Errors.internalError();
    if (!(error instanceof S3Error)) console.error("fake-s3: internal error while handling a request:", error);
    if (x.res.headersSent) {
      x.res.destroy();
      return this.#drop(x, s3Error.code);
    }
    const body = x.req.method === "HEAD" ? undefined : Buffer.from(s3ErrorXml(s3Error, x.requestId, x.hostId), "utf8");
    // An oversized body is not drained: closing is cheaper than reading gigabytes to discard them.
    const close = s3Error.code === "EntityTooLarge" ? { connection: "close" } : {};
    this.#send(x, s3Error.status, { "content-type": "application/xml", ...close }, body, s3Error.code);
  }
}
