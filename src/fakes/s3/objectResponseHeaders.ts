import type { StoredObject } from "./StoredObject.js";

/**
 * The headers GetObject and HeadObject return for a stored object. The flexible checksum is
 * only returned when the client asked for it (`x-amz-checksum-mode: ENABLED`), as S3 does; the
 * SDKs then validate the body against it.
 */
export function objectResponseHeaders(object: StoredObject, withChecksum: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    "accept-ranges": "bytes",
    "content-length": String(object.body.length),
    "content-type": object.contentType ?? "binary/octet-stream",
    etag: object.etag,
    "last-modified": object.lastModified.toUTCString(),
    "x-amz-server-side-encryption": "AES256",
  };
  if (object.contentEncoding !== undefined) headers["content-encoding"] = object.contentEncoding;
  for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
  if (withChecksum && object.checksum !== undefined) {
    headers[`x-amz-checksum-${object.checksum.algorithm}`] = object.checksum.value;
    headers["x-amz-checksum-type"] = object.checksum.type;
  }
  return headers;
}
