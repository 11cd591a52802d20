import type { ObjectChecksum } from "./verifyPayload.js";

/** One object as the fake S3 holds it. */
export interface StoredObject {
  /** The decoded object bytes (never `aws-chunked` framing). */
  readonly body: Buffer;
  readonly contentType?: string;
  /** Without `aws-chunked`; e.g. `gzip`. */
  readonly contentEncoding?: string;
  /** `x-amz-meta-*` headers, lower-case names without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The PUT's headers as received, lower-case names, minus `authorization` and `x-amz-security-token`. */
  readonly headers: Readonly<Record<string, string>>;
  /** How many times this key has been written (exactly-once tests expect 1). */
  readonly putCount: number;
  readonly lastModified: Date;
  /** Who wrote it. */
  readonly accessKeyId: string;
  /** Quoted MD5 hex of `body`, as S3 returns it for a single-part upload. */
  readonly etag: string;
  /** The flexible checksum the client sent with the upload, if any. */
  readonly checksum?: ObjectChecksum;
}
