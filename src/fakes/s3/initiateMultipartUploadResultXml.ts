import { xmlEscape } from "./xmlEscape.js";

const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** The CreateMultipartUpload response document. */
export function initiateMultipartUploadResultXml(bucket: string, key: string, uploadId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="${S3_NAMESPACE}">` +
    `<Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(uploadId)}</UploadId>` +
    `</InitiateMultipartUploadResult>`
  );
}
