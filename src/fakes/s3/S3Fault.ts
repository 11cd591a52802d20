/**
 * HTTP methods of object requests: PUT (PutObject, UploadPart), GET, HEAD, DELETE (DeleteObject,
 * AbortMultipartUpload), POST (CreateMultipartUpload, CompleteMultipartUpload).
 */
export type ObjectMethod = "PUT" | "GET" | "HEAD" | "DELETE" | "POST";

/**
 * A fault the fake S3 injects into object requests (never bucket or service requests), counted
 * per request. `methods` chooses which object requests a fault hits; it defaults to `["PUT"]`,
 * so a test can still read back what was stored while uploads are failing.
 * A fault with neither `times` nor a window stays until `clearFaults()`.
 */
export type S3Fault =
  /** Answer with this S3 error document (e.g. 503 `SlowDown`, 500 `InternalError`), `times` requests or for `forMs` ms. */
  | {
      readonly kind: "error";
      readonly status: number;
      readonly code: string;
      readonly message?: string;
      readonly times?: number;
      readonly forMs?: number;
      readonly methods?: readonly ObjectMethod[];
    }
  /** Destroy the connection once the request headers arrive (the client sees ECONNRESET / "socket hang up"). */
  | { readonly kind: "reset"; readonly times?: number; readonly forMs?: number; readonly methods?: readonly ObjectMethod[] }
  /**
   * Hold each hit request `forMs` ms before reading or answering it (a hung server); the request is
   * then processed normally if the client is still connected, and dropped, unprocessed, if not.
   */
  | { readonly kind: "stall"; readonly forMs: number; readonly times?: number; readonly methods?: readonly ObjectMethod[] }
  /**
   * Answer the writes `s3:PutObject` authorises (PutObject and the multipart uploads' PUTs and POSTs)
   * under `keyPrefix` (all keys when absent) with 403 `AccessDenied`, as an IAM policy would.
   */
  | { readonly kind: "deny"; readonly keyPrefix?: string };
