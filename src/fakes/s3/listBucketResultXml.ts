import type { ListObjectsV2Page, ListObjectsV2Query } from "./listObjectsV2Page.js";
import { xmlEscape } from "./xmlEscape.js";

const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/**
 * The ListObjectsV2 response document. With `encoding-type=url` (which botocore always asks for,
 * then URL-decodes) keys and prefixes are percent-encoded, so keys with control characters survive.
 */
export function listBucketResultXml(
  bucket: string,
  query: ListObjectsV2Query,
  page: ListObjectsV2Page,
  urlEncoded: boolean,
): string {
  const text = (value: string) => xmlEscape(urlEncoded ? encodeURIComponent(value) : value);
  const element = (name: string, value: string | undefined) => (value === undefined ? "" : `<${name}>${value}</${name}>`);
  const contents = page.contents
    .map(
      ({ key, object }) =>
        `<Contents><Key>${text(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified>` +
        `<ETag>${xmlEscape(object.etag)}</ETag>` +
        (object.checksum === undefined
          ? ""
          : `<ChecksumAlgorithm>${object.checksum.algorithm.toUpperCase()}</ChecksumAlgorithm><ChecksumType>${object.checksum.type}</ChecksumType>`) +
        `<Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    )
    .join("");
  const commonPrefixes = page.commonPrefixes.map((prefix) => `<CommonPrefixes><Prefix>${text(prefix)}</Prefix></CommonPrefixes>`).join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${S3_NAMESPACE}">` +
    `<Name>${xmlEscape(bucket)}</Name><Prefix>${text(query.prefix)}</Prefix>` +
    element("Delimiter", query.delimiter === undefined ? undefined : text(query.delimiter)) +
    `<MaxKeys>${query.maxKeys}</MaxKeys>` +
    element("EncodingType", urlEncoded ? "url" : undefined) +
    `<KeyCount>${page.contents.length + page.commonPrefixes.length}</KeyCount>` +
    `<IsTruncated>${page.isTruncated}</IsTruncated>` +
    element("ContinuationToken", query.continuationToken === undefined ? undefined : xmlEscape(query.continuationToken)) +
    element("NextContinuationToken", page.nextContinuationToken) +
    element("StartAfter", query.startAfter === undefined ? undefined : text(query.startAfter)) +
    contents +
    commonPrefixes +
    `</ListBucketResult>`
  );
}
