import type { StoredObject } from "./StoredObject.js";
import { xmlEscape } from "./xmlEscape.js";

const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** The CompleteMultipartUpload response document for the object the upload became. */
export function completeMultipartUploadResultXml(location: string, bucket: string, key: string, object: StoredObject): string {
  const checksum =
    object.checksum === undefined
      ? ""
      : `<Checksum${object.checksum.algorithm.toUpperCase()}>${xmlEscape(object.checksum.value)}</Checksum${object.checksum.algorithm.toUpperCase()}>` +
        `<ChecksumType>${object.checksum.type}</ChecksumType>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="${S3_NAMESPACE}">` +
    `<Location>${xmlEscape(location)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key>` +
    `<ETag>${xmlEscape(object.etag)}</ETag>${checksum}</CompleteMultipartUploadResult>`
  );
}
