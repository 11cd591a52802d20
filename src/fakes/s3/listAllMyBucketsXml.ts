import type { BucketInfo } from "./ObjectStore.js";
import { xmlEscape } from "./xmlEscape.js";

/** The ListBuckets (`GET /`) response document. */
export function listAllMyBucketsXml(buckets: readonly BucketInfo[], ownerId: string): string {
  const items = buckets
    .map((b) => `<Bucket><Name>${xmlEscape(b.name)}</Name><CreationDate>${b.createdAt.toISOString()}</CreationDate></Bucket>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    `<Owner><ID>${xmlEscape(ownerId)}</ID><DisplayName>fake-s3</DisplayName></Owner>` +
    `<Buckets>${items}</Buckets></ListAllMyBucketsResult>`
  );
}
