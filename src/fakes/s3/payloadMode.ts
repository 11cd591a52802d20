import { s3Errors } from "./s3Errors.js";

/** How the body of a request is protected, per its `x-amz-content-sha256` value. */
export type PayloadMode =
  /** A hex SHA-256 of the body, covered by the signature. */
  | "signed"
  | "unsigned"
  /** `aws-chunked` framing with an unsigned trailer (what SDKs send for streams, and over TLS). */
  | "streaming-unsigned-trailer";

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * Classifies `x-amz-content-sha256`. Signed-chunk streaming (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD…`)
 * is `NotImplemented`: neither the JS SDK nor botocore sends it, and accepting it without checking
 * every chunk signature would be a hole, not a feature. Anything else is `InvalidArgument`.
 */
export function payloadMode(payloadHash: string): PayloadMode {
  if (HEX_SHA256.test(payloadHash)) return "signed";
  if (payloadHash === "UNSIGNED-PAYLOAD") return "unsigned";
  if (payloadHash === "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return "streaming-unsigned-trailer";
  if (payloadHash.startsWith("STREAMING-")) {
    throw s3Errors.notImplemented(`x-amz-content-sha256: ${payloadHash} (signed aws-chunked payloads)`);
  }
  throw s3Errors.invalidArgument(
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid sha256 value.",
  );
}
