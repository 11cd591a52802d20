// @ts-check
import { createServer } from "node:http";
import { decodeAwsChunked } from "./decodeAwsChunked.mjs";
import { IngestThrottle } from "./IngestThrottle.mjs";

/**
 * @typedef {object} StoredObject
 * @property {string} bucket
 * @property {string} key
 * @property {Buffer} body decoded payload, as stored
 * @property {number} arrivedAt epoch ms (performance.timeOrigin + performance.now()) when the whole body was in
 * @property {Record<string, string>} metadata x-amz-meta-* headers, prefix stripped
 */

/** @typedef {import("node:http").IncomingMessage} Request */
/** @typedef {import("node:http").ServerResponse} Response */

/** The same clock the latency bench stamps lines with. */
export function epochMs() {
  return performance.timeOrigin + performance.now();
}

/** @param {string} text */
function xmlEscape(text) {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** @param {Response} res @param {number} status @param {string} code */
function sendError(res, status, code) {
  res.writeHead(status, { "content-type": "application/xml" });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
}

/** @param {Response} res @param {string} xml */
function sendXml(res, xml) {
  res.writeHead(200, { "content-type": "application/xml" });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
}

/** @param {Request} req */
function userMetadata(req) {
  /** @type {Record<string, string>} */
  const metadata = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith("x-amz-meta-") && typeof value === "string") metadata[name.slice("x-amz-meta-".length)] = value;
  }
  return metadata;
}

/** @param {Request} req */
function isAwsChunked(req) {
  const encoding = String(req.headers["content-encoding"] ?? "");
  const sha = String(req.headers["x-amz-content-sha256"] ?? "");
  return encoding.split(",").some((e) => e.trim() === "aws-chunked") || sha.startsWith("STREAMING-");
}

/**
 * A local S3 endpoint built to never be the bottleneck: it accepts any
 * signature, keeps bodies in memory, and records when each object became
 * complete. Path-style PutObject and the multipart calls `aws s3 cp` uses;
 * an optional ingest cap emulates the instance's network.
 */
export class BenchSink {
  /** @type {import("node:http").Server} */
  #server;
  /** @type {Map<string, StoredObject>} */
  #objects = new Map();
  /** @type {Map<string, { bucket: string, key: string, metadata: Record<string, string>, parts: Map<number, Buffer> }>} */
  #uploads = new Map();
  /** @type {IngestThrottle | undefined} */
  #throttle;
  #etag = 0;
  #requests = 0;

  /** @param {import("node:http").Server} server */
  constructor(server) {
    this.#server = server;
  }

  /** @returns {Promise<BenchSink>} */
  static async start() {
    const server = createServer();
    const sink = new BenchSink(server);
    server.keepAliveTimeout = 65_000;
    server.on("request", (req, res) => sink.#handle(req, res));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
    return sink;
  }

  get endpoint() {
    const address = this.#server.address();
    if (address === null || typeof address === "string") throw new Error("sink is not listening");
    return `http://127.0.0.1:${address.port}`;
  }

  /** Cap ingest at `mibPerSecond` (undefined or 0: uncapped). Applies to bodies read from now on. @param {number | undefined} mibPerSecond */
  setCap(mibPerSecond) {
    this.#throttle = mibPerSecond ? new IngestThrottle(mibPerSecond) : undefined;
  }

  /** @returns {StoredObject[]} in arrival order */
  objects() {
    return [...this.#objects.values()].sort((a, b) => a.arrivedAt - b.arrivedAt);
  }

  get objectCount() {
    return this.#objects.size;
  }

  get bytesStored() {
    let total = 0;
    for (const object of this.#objects.values()) total += object.body.length;
    return total;
  }

  get requests() {
    return this.#requests;
  }

  clear() {
    this.#objects.clear();
    this.#uploads.clear();
    this.#requests = 0;
  }

  async close() {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(() => resolve(undefined)));
  }

  /** @param {Request} req @param {Response} res */
  #handle(req, res) {
    this.#requests += 1;
    const url = new URL(req.url ?? "/", "http://sink");
    const slash = url.pathname.indexOf("/", 1);
    const bucket = decodeURIComponent(url.pathname.slice(1, slash === -1 ? undefined : slash));
    const key = slash === -1 ? "" : decodeURIComponent(url.pathname.slice(slash + 1));
    const query = url.searchParams;
    this.#readBody(req).then(
      (body) => {
        if (bucket === "") return sendXml(res, "<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>");
        if (key === "") {
          // CreateBucket / HeadBucket: every bucket exists.
          if (req.method === "PUT" || req.method === "HEAD") return void res.writeHead(200).end();
          return sendError(res, 501, "NotImplemented");
        }
        if (req.method === "PUT" && req.headers["x-amz-copy-source"] === undefined) {
          const payload = isAwsChunked(req) ? decodeAwsChunked(body) : body;
          const uploadId = query.get("uploadId");
          if (uploadId !== null) return this.#putPart(res, uploadId, Number(query.get("partNumber")), payload);
          this.#objects.set(`${bucket}/${key}`, { bucket, key, body: payload, arrivedAt: epochMs(), metadata: userMetadata(req) });
          return void res.writeHead(200, { etag: this.#nextEtag() }).end();
        }
        if (req.method === "POST" && query.has("uploads")) return this.#createUpload(res, bucket, key, userMetadata(req));
        if (req.method === "POST" && query.has("uploadId")) return this.#completeUpload(res, String(query.get("uploadId")));
        if (req.method === "DELETE" && query.has("uploadId")) {
          this.#uploads.delete(String(query.get("uploadId")));
          return void res.writeHead(204).end();
        }
        return sendError(res, 501, "NotImplemented");
      },
      () => sendError(res, 400, "IncompleteBody"),
    );
  }

  /** @param {Request} req @returns {Promise<Buffer>} */
  #readBody(req) {
    return new Promise((resolve, reject) => {
      /** @type {Buffer[]} */
      const chunks = [];
      req.on("data", (/** @type {Buffer} */ chunk) => {
        chunks.push(chunk);
        const wait = this.#throttle?.take(chunk.length) ?? 0;
        if (wait > 1) {
          req.pause();
          setTimeout(() => req.resume(), wait);
        }
      });
      req.on("end", () => resolve(chunks.length === 1 ? /** @type {Buffer} */ (chunks[0]) : Buffer.concat(chunks)));
      req.on("error", reject);
    });
  }

  #nextEtag() {
    this.#etag += 1;
    return `"${this.#etag.toString(16).padStart(32, "0")}"`;
  }

  /** @param {Response} res @param {string} bucket @param {string} key @param {Record<string, string>} metadata */
  #createUpload(res, bucket, key, metadata) {
    const uploadId = `upload-${this.#uploads.size + 1}-${Math.random().toString(36).slice(2)}`;
    this.#uploads.set(uploadId, { bucket, key, metadata, parts: new Map() });
    sendXml(
      res,
      `<InitiateMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
    );
  }

  /** @param {Response} res @param {string} uploadId @param {number} partNumber @param {Buffer} payload */
  #putPart(res, uploadId, partNumber, payload) {
    const upload = this.#uploads.get(uploadId);
    if (!upload) return sendError(res, 404, "NoSuchUpload");
    upload.parts.set(partNumber, payload);
    res.writeHead(200, { etag: this.#nextEtag() }).end();
  }

  /** The object is the parts in part-number order: every client sends them all. @param {Response} res @param {string} uploadId */
  #completeUpload(res, uploadId) {
    const upload = this.#uploads.get(uploadId);
    if (!upload) return sendError(res, 404, "NoSuchUpload");
    this.#uploads.delete(uploadId);
    const body = Buffer.concat([...upload.parts].sort(([a], [b]) => a - b).map(([, part]) => part));
    const { bucket, key, metadata } = upload;
    this.#objects.set(`${bucket}/${key}`, { bucket, key, body, arrivedAt: epochMs(), metadata });
    sendXml(
      res,
      `<CompleteMultipartUploadResult><Location>${this.endpoint}/${xmlEscape(bucket)}/${xmlEscape(key)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${this.#nextEtag()}</ETag></CompleteMultipartUploadResult>`,
    );
  }
}
