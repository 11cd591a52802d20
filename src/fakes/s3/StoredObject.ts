import type { ObjectChecksum } from "./verifyPayload.js";

/**
 * `FULL_OBJECT`: the checksum of the object's bytes. `COMPOSITE` (multipart uploads): the checksum
 * of the parts' checksums, its value suffixed `-<part count>`, which clients cannot check against
 * the bytes they download.
 */
export type ChecksumType = "FULL_OBJECT" | "COMPOSITE";

export interface StoredChecksum extends ObjectChecksum {
  readonly type: ChecksumType;
}

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
  /** Quoted MD5 hex of `body` for a PutObject; for a multipart upload, MD5 of the parts' MD5s, suffixed `-<part count>`. */
  readonly etag: string;
  /** The flexible checksum the client sent with the upload (or its parts), if any. */
  readonly checksum?: StoredChecksum;
}
