import { constants as bufferConstants } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { CredentialAuthority } from "../CredentialAuthority.js";
import { assembleParts } from "./assembleParts.js";
import { authenticateRequest } from "./authenticateRequest.js";
import { isChecksumAlgorithm, type ChecksumAlgorithm } from "./checksumAlgorithms.js";
import { ClientDisconnectedError } from "./ClientDisconnectedError.js";
import { completeMultipartUploadResultXml } from "./completeMultipartUploadResultXml.js";
import type { FakeS3Options } from "./FakeS3Options.js";
import { FaultSchedule } from "./FaultSchedule.js";
import { flattenHeaders } from "./flattenHeaders.js";
import { IngestThrottle } from "./IngestThrottle.js";
import { initiateMultipartUploadResultXml } from "./initiateMultipartUploadResultXml.js";
import { InvalidBucketNameError } from "./InvalidBucketNameError.js";
import { isValidBucketName } from "./isValidBucketName.js";
import { listAllMyBucketsXml } from "./listAllMyBucketsXml.js";
import { listBucketResultXml } from "./listBucketResultXml.js";
import { listObjectsV2Page, type ListObjectsV2Query } from "./listObjectsV2Page.js";
import { MultipartUploads, type MultipartUploadInfo } from "./MultipartUploads.js";
import { ObjectStore, type ListedObject } from "./ObjectStore.js";
import { objectResponseHeaders } from "./objectResponseHeaders.js";
import { parseCompleteMultipartUpload } from "./parseCompleteMultipartUpload.js";
import { parseRequestTarget, queryValue, type RequestTarget } from "./parseRequestTarget.js";
import { payloadMode } from "./payloadMode.js";
import { readBody } from "./readBody.js";
import { resolveOperation, type S3Operation } from "./resolveOperation.js";
import { S3Error } from "./S3Error.js";
import { s3ErrorXml } from "./s3ErrorXml.js";
import { s3Errors } from "./s3Errors.js";
import type { S3Fault } from "./S3Fault.js";
import type { S3RequestRecord } from "./S3RequestRecord.js";
import type { ChecksumType, StoredObject } from "./StoredObject.js";
import { userMetadata } from "./userMetadata.js";
import { verifyPayload, type VerifiedPayload } from "./verifyPayload.js";

const DEFAULT_MAX_SKEW_MS = 15 * 60_000;
const S3_MAX_PUT_BYTES = 5 * 1024 ** 3;
/** S3's smallest part (all but the last of an upload). */
const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
const S3_MAX_PART_NUMBER = 10_000;
/** A CompleteMultipartUpload body for 10 000 parts with checksums stays well below this. */
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;
const OWNER_ID = "0000000000000000000000000000000000000000000000000000000000f4e53a";
/** Headers never kept with a stored object: they carry credentials. */
const SECRET_HEADERS = new Set(["authorization", "x-amz-security-token"]);
/** S3's longest key, in bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

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
 * DeleteObject, ListObjectsV2, CreateBucket, HeadBucket, ListBuckets and multipart uploads
 * (CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload), keeps
 * objects in memory, logs every request, and can inject faults for resilience tests.
 */
export class FakeS3 {
  /** `http://host:port`, for an S3 client's `endpoint` (with `forcePathStyle: true`). */
  readonly endpoint: string;

  readonly #server: Server;
  readonly #store = new ObjectStore();
  readonly #uploads = new MultipartUploads();
  readonly #faults = new FaultSchedule();
  readonly #log: S3RequestRecord[] = [];
  readonly #authority: CredentialAuthority;
  readonly #now: () => number;
  readonly #maxSkewMs: number;
  readonly #region: string | undefined;
  readonly #maxObjectBytes: number;
  readonly #minPartBytes: number;
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
    this.#minPartBytes = options.minPartBytes ?? S3_MIN_PART_BYTES;
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
    if (options.minPartBytes !== undefined && !(options.minPartBytes >= 0)) throw new RangeError("minPartBytes must be >= 0");
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

  /**
   * Multipart uploads created and neither completed nor aborted (in `bucket`, or all): what a
   * client that crashed mid-upload leaves behind until a lifecycle rule aborts it.
   */
  multipartUploads(bucket?: string): MultipartUploadInfo[] {
    return this.#uploads.list(bucket);
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
      case "CreateMultipartUpload":
        return this.#createMultipartUpload(call);
      case "UploadPart":
        return this.#uploadPart(call);
      case "CompleteMultipartUpload":
        return this.#completeMultipartUpload(call);
      case "AbortMultipartUpload": {
        const { bucket, key } = this.#requireObjectTarget(call.target);
        const upload = this.#uploads.get(bucket, key, queryValue(call.target.query, "uploadId") ?? "");
        this.#uploads.delete(upload.uploadId);
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
    const payload = await this.#readPayload(call);
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
      ...(payload.checksum === undefined ? {} : { checksum: { ...payload.checksum, type: "FULL_OBJECT" } }),
    });
    this.#send(call.x, 200, {
      etag,
      "x-amz-server-side-encryption": "AES256",
      ...(payload.checksum === undefined
        ? {}
        : { [`x-amz-checksum-${payload.checksum.algorithm}`]: payload.checksum.value, "x-amz-checksum-type": "FULL_OBJECT" }),
    });
  }

  /**
   * The body of an object or part upload, verified (signature hash, checksums, aws-chunked framing).
   * S3 needs the size up front: Content-Length, or for aws-chunked the decoded length.
   */
  async #readPayload(call: Call): Promise<VerifiedPayload> {
    const { headers } = call;
    // Refuse unsupported payload modes before reading a body that would be thrown away.
    const streaming = payloadMode(call.payloadHash) === "streaming-unsigned-trailer";
    const declared = headers[streaming ? "x-amz-decoded-content-length" : "content-length"];
    if (declared === undefined || !/^\d+$/.test(declared)) throw s3Errors.missingContentLength();
    const size = Number(declared);
    if (size > this.#maxObjectBytes) throw s3Errors.entityTooLarge(this.#maxObjectBytes);
    // aws-chunked framing costs a few bytes per chunk on top of the object.
    const wireLimit = streaming ? size + 64 * 1024 + Math.ceil(size / 100) : size;
    return verifyPayload({ payloadHash: call.payloadHash, headers, wireBody: await this.#readBody(call, wireLimit) });
  }

  async #createMultipartUpload(call: Call): Promise<void> {
    const { bucket, key } = this.#requireObjectTarget(call.target);
    const { headers } = call;
    verifyPayload({ payloadHash: call.payloadHash, headers, wireBody: await this.#readBody(call, 1024 * 1024) });
    const checksum = declaredUploadChecksum(headers);
    const contentType = headers["content-type"];
    const contentEncoding = headers["content-encoding"];
    const upload = this.#uploads.create({
      bucket,
      key,
      initiated: new Date(this.#now()),
      ...(contentType === undefined ? {} : { contentType }),
      ...(contentEncoding === undefined ? {} : { contentEncoding }),
      metadata: userMetadata(headers),
      headers: Object.fromEntries(Object.entries(headers).filter(([name]) => !SECRET_HEADERS.has(name))),
      ...checksum,
    });
    this.#send(
      call.x,
      200,
      {
        "content-type": "application/xml",
        "x-amz-server-side-encryption": "AES256",
        ...(checksum.checksumAlgorithm === undefined
          ? {}
          : { "x-amz-checksum-algorithm": checksum.checksumAlgorithm.toUpperCase(), "x-amz-checksum-type": checksum.checksumType }),
      },
      Buffer.from(initiateMultipartUploadResultXml(bucket, key, upload.uploadId), "utf8"),
    );
  }

  async #uploadPart(call: Call): Promise<void> {
    const { bucket, key } = this.#requireObjectTarget(call.target);
    const { headers, target } = call;
    const partNumberText = queryValue(target.query, "partNumber");
    if (partNumberText === undefined || !/^\d{1,5}$/.test(partNumberText) || Number(partNumberText) < 1 || Number(partNumberText) > S3_MAX_PART_NUMBER) {
      throw s3Errors.invalidArgument(`Part number must be an integer between 1 and ${S3_MAX_PART_NUMBER}, inclusive`, {
        ArgumentName: "partNumber",
        ArgumentValue: partNumberText ?? "",
      });
    }
    const uploadId = queryValue(target.query, "uploadId");
    if (uploadId === undefined) throw s3Errors.invalidRequest("UploadPart requires the uploadId query parameter.");
    // Encryption is chosen once, by CreateMultipartUpload; S3 refuses it on the parts.
    for (const name of ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"]) {
      const value = headers[name];
      if (value !== undefined) {
        throw s3Errors.invalidArgument(`${name} header is not supported for this operation.`, { ArgumentName: name, ArgumentValue: value });
      }
    }
    const upload = this.#uploads.get(bucket, key, uploadId);
    const payload = await this.#readPayload(call);
    const sent = payload.checksum?.algorithm;
    const expected = upload.checksumAlgorithm;
    // A FULL_OBJECT upload may leave checksums off its parts; otherwise each part carries the declared one.
    if (sent !== expected && !(sent === undefined && upload.checksumType === "FULL_OBJECT")) {
      throw s3Errors.invalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${expected ?? "null"}, actual checksum Type: ${sent ?? "null"}`);
    }
    const etag = `"${createHash("md5").update(payload.body).digest("hex")}"`;
    upload.parts.set(Number(partNumberText), {
      body: payload.body,
      etag,
      lastModified: new Date(this.#now()),
      ...(payload.checksum === undefined ? {} : { checksum: payload.checksum }),
    });
    this.#send(call.x, 200, {
      etag,
      "x-amz-server-side-encryption": "AES256",
      ...(payload.checksum === undefined ? {} : { [`x-amz-checksum-${payload.checksum.algorithm}`]: payload.checksum.value }),
    });
  }

  async #completeMultipartUpload(call: Call): Promise<void> {
    const { bucket, key } = this.#requireObjectTarget(call.target);
    const { headers } = call;
    const upload = this.#uploads.get(bucket, key, queryValue(call.target.query, "uploadId") ?? "");
    // An x-amz-checksum-* header here is the whole object's checksum, not the XML body's.
    const bodyHeaders = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith("x-amz-checksum-")));
    const xml = verifyPayload({ payloadHash: call.payloadHash, headers: bodyHeaders, wireBody: await this.#readBody(call, MAX_COMPLETE_BODY_BYTES) });
    const assembled = assembleParts(upload, parseCompleteMultipartUpload(xml.body.toString("utf8")), this.#minPartBytes);
    this.#checkWriteConditions(bucket, key, headers);
    const stored = this.#store.put(bucket, key, {
      body: assembled.body,
      ...(upload.contentType === undefined ? {} : { contentType: upload.contentType }),
      ...(upload.contentEncoding === undefined ? {} : { contentEncoding: upload.contentEncoding }),
      metadata: upload.metadata,
      headers: upload.headers,
      lastModified: new Date(this.#now()),
      accessKeyId: call.accessKeyId,
      etag: assembled.etag,
      ...(assembled.checksum === undefined ? {} : { checksum: assembled.checksum }),
    });
    this.#uploads.delete(upload.uploadId);
    const location = `${this.endpoint}/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;
    this.#sendXml(call.x, 200, completeMultipartUploadResultXml(location, bucket, key, stored));
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
    const key = target.key ?? "";
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw s3Errors.keyTooLong(Buffer.byteLength(key));
    return { bucket: this.#requireBucket(target), key };
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

/**
 * The checksum a multipart upload's parts must carry: `x-amz-checksum-algorithm`, and
 * `x-amz-checksum-type` (COMPOSITE by default, FULL_OBJECT for CRC-64/NVME, which has no other).
 */
function declaredUploadChecksum(headers: Readonly<Record<string, string>>): {
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
} {
  const name = headers["x-amz-checksum-algorithm"]?.toLowerCase();
  const type = headers["x-amz-checksum-type"]?.toUpperCase();
  if (name === undefined) {
    if (type !== undefined) throw s3Errors.invalidRequest("x-amz-checksum-type requires x-amz-checksum-algorithm.");
    return {};
  }
  if (!isChecksumAlgorithm(name)) throw s3Errors.invalidRequest(`Checksum algorithm provided is unsupported: ${name}`);
  if (type !== undefined && type !== "COMPOSITE" && type !== "FULL_OBJECT") {
    throw s3Errors.invalidRequest(`Value for x-amz-checksum-type header is invalid: ${type}`);
  }
  const checksumType: ChecksumType = type ?? (name === "crc64nvme" ? "FULL_OBJECT" : "COMPOSITE");
  if (checksumType === "FULL_OBJECT" && (name === "sha1" || name === "sha256")) {
    throw s3Errors.invalidRequest(`The FULL_OBJECT checksum type cannot be used with the ${name} checksum algorithm.`);
  }
  if (checksumType === "COMPOSITE" && name === "crc64nvme") {
    throw s3Errors.invalidRequest(`The COMPOSITE checksum type cannot be used with the ${name} checksum algorithm.`);
  }
  return { checksumAlgorithm: name, checksumType };
}
