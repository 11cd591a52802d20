import type { RequestTarget } from "./parseRequestTarget.js";
import { s3Errors } from "./s3Errors.js";

export type S3Operation =
  | "ListBuckets"
  | "CreateBucket"
  | "HeadBucket"
  | "ListObjectsV2"
  | "PutObject"
  | "GetObject"
  | "HeadObject"
  | "DeleteObject"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload";

/** Query parameters each operation understands; any other is a sub-resource this server lacks. */
const ALLOWED_QUERY: Readonly<Record<S3Operation, readonly string[] | "any">> = {
  ListBuckets: "any",
  CreateBucket: ["x-id"],
  HeadBucket: ["x-id"],
  ListObjectsV2: [
    "x-id",
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "continuation-token",
    "start-after",
    "encoding-type",
    "fetch-owner",
  ],
  PutObject: ["x-id"],
  GetObject: ["x-id"],
  HeadObject: ["x-id"],
  DeleteObject: ["x-id"],
  CreateMultipartUpload: ["x-id", "uploads"],
  UploadPart: ["x-id", "partNumber", "uploadId"],
  CompleteMultipartUpload: ["x-id", "uploadId"],
  AbortMultipartUpload: ["x-id", "uploadId"],
};

/**
 * Maps a path-style request to the S3 operation it names. Anything else S3 has but this server
 * does not (ListParts, ACLs, ListObjects v1, copies, …) is answered `501 NotImplemented`
 * rather than mistaken for a simpler operation.
 */
export function resolveOperation(method: string, target: RequestTarget, headers: Readonly<Record<string, string>>): S3Operation {
  const operation = operationFor(method, target, headers);
  const allowed = ALLOWED_QUERY[operation];
  if (allowed !== "any") {
    const unknown = Object.keys(target.query).find((name) => !allowed.includes(name));
    if (unknown !== undefined) throw s3Errors.notImplemented(`the ?${unknown} sub-resource`);
  }
  return operation;
}

function operationFor(method: string, target: RequestTarget, headers: Readonly<Record<string, string>>): S3Operation {
  if (target.bucket === undefined) {
    if (method === "GET") return "ListBuckets";
    throw s3Errors.methodNotAllowed(method);
  }
  if (target.key === undefined) {
    switch (method) {
      case "PUT":
        return "CreateBucket";
      case "HEAD":
        return "HeadBucket";
      case "GET":
        if (target.query["list-type"] === "2") return "ListObjectsV2";
        throw s3Errors.notImplemented("ListObjects (v1) and bucket sub-resources; use ListObjectsV2 (list-type=2)");
      case "POST":
        throw s3Errors.notImplemented("DeleteObjects and other bucket POST operations");
      case "DELETE":
        throw s3Errors.notImplemented("DeleteBucket");
      default:
        throw s3Errors.methodNotAllowed(method);
    }
  }
  // The upload id names a multipart upload: these are requests about it, not about the object.
  const uploadId = target.query["uploadId"] !== undefined;
  switch (method) {
    case "PUT":
      if (headers["x-amz-copy-source"] !== undefined) {
        throw s3Errors.notImplemented(uploadId ? "UploadPartCopy (x-amz-copy-source)" : "CopyObject (x-amz-copy-source)");
      }
      return uploadId || target.query["partNumber"] !== undefined ? "UploadPart" : "PutObject";
    case "GET":
      if (uploadId) throw s3Errors.notImplemented("ListParts");
      return "GetObject";
    case "HEAD":
      return "HeadObject";
    case "DELETE":
      return uploadId ? "AbortMultipartUpload" : "DeleteObject";
    case "POST":
      if (target.query["uploads"] !== undefined) return "CreateMultipartUpload";
      if (uploadId) return "CompleteMultipartUpload";
      throw s3Errors.notImplemented("object POST operations other than multipart uploads (RestoreObject, SelectObjectContent)");
    default:
      throw s3Errors.methodNotAllowed(method);
  }
}
