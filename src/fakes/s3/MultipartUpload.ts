import type { ChecksumAlgorithm } from "./checksumAlgorithms.js";
import type { ChecksumType } from "./StoredObject.js";
import type { ObjectChecksum } from "./verifyPayload.js";

/** One part of a multipart upload, as UploadPart stored it (a part uploaded again replaces it). */
export interface UploadedPart {
  readonly body: Buffer;
  /** Quoted MD5 hex of `body`. */
  readonly etag: string;
  readonly checksum?: ObjectChecksum;
  readonly lastModified: Date;
}

/** A multipart upload between CreateMultipartUpload and its completion or abort. */
export interface MultipartUpload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: Date;
  /** What the completed object will carry: taken from CreateMultipartUpload, as S3 does. */
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** CreateMultipartUpload's headers, lower-case names, minus credentials. */
  readonly headers: Readonly<Record<string, string>>;
  /** The algorithm declared with `x-amz-checksum-algorithm`: every part must then carry it. */
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
  readonly parts: Map<number, UploadedPart>;
}
