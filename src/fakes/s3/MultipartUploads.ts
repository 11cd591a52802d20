import { randomBytes } from "node:crypto";
import type { MultipartUpload } from "./MultipartUpload.js";
import { s3Errors } from "./s3Errors.js";

/** A multipart upload as tests see it (`FakeS3.multipartUploads()`). */
export interface MultipartUploadInfo {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: Date;
  /** Part numbers uploaded so far, ascending. */
  readonly parts: readonly number[];
}

/** The multipart uploads of the fake S3 that are neither completed nor aborted. */
export class MultipartUploads {
  readonly #uploads = new Map<string, MultipartUpload>();

  create(fields: Omit<MultipartUpload, "uploadId" | "parts">): MultipartUpload {
    // Opaque and unguessable, like S3's: an upload id is the capability to add parts.
    const upload: MultipartUpload = { ...fields, uploadId: randomBytes(24).toString("base64url"), parts: new Map() };
    this.#uploads.set(upload.uploadId, upload);
    return upload;
  }

  /** The upload `uploadId` of exactly this bucket and key; `NoSuchUpload` otherwise, as S3 answers. */
  get(bucket: string, key: string, uploadId: string): MultipartUpload {
    const upload = this.#uploads.get(uploadId);
    if (upload === undefined || upload.bucket !== bucket || upload.key !== key) throw s3Errors.noSuchUpload(uploadId);
    return upload;
  }

  /** Forgets a completed or aborted upload: its id is `NoSuchUpload` from then on. */
  delete(uploadId: string): void {
    this.#uploads.delete(uploadId);
  }

  list(bucket?: string): MultipartUploadInfo[] {
    return [...this.#uploads.values()]
      .filter((upload) => bucket === undefined || upload.bucket === bucket)
      .map(({ uploadId, bucket: b, key, initiated, parts }) => ({
        uploadId,
        bucket: b,
        key,
        initiated,
        parts: [...parts.keys()].sort((x, y) => x - y),
      }));
  }
}
