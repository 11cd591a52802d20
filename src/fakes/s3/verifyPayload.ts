import { createHash } from "node:crypto";
import { AwsChunkedDecodeError } from "./AwsChunkedDecodeError.js";
import {
  checksumLength,
  computeChecksum,
  isChecksumAlgorithm,
  type ChecksumAlgorithm,
} from "./checksumAlgorithms.js";
import { decodeAwsChunked, type DecodedAwsChunked } from "./decodeAwsChunked.js";
import { payloadMode } from "./payloadMode.js";
import { s3Errors } from "./s3Errors.js";

export interface PayloadInput {
  /** The authenticated `x-amz-content-sha256` value. */
  readonly payloadHash: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body bytes exactly as received on the wire. */
  readonly wireBody: Buffer;
}

export interface ObjectChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Base64, as in the `x-amz-checksum-<algorithm>` header. */
  readonly value: string;
}

export interface VerifiedPayload {
  /** The object bytes, never the `aws-chunked` framing. */
  readonly body: Buffer;
  readonly checksum?: ObjectChecksum;
  /** `Content-Encoding` without `aws-chunked`, which describes the transfer, not the object. */
  readonly contentEncoding?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks an uploaded payload the way S3 does and returns the bytes to store:
 * a hex `x-amz-content-sha256` must equal SHA-256 of the body (`XAmzContentSHA256Mismatch`);
 * `UNSIGNED-PAYLOAD` is taken as is; `STREAMING-UNSIGNED-PAYLOAD-TRAILER` is de-framed and its
 * decoded length checked; then the one flexible checksum (header or trailer) and `Content-MD5`
 * must match the decoded bytes (`BadDigest`). Signed-chunk modes are not implemented.
 */
export function verifyPayload(input: PayloadInput): VerifiedPayload {
  const { headers, payloadHash } = input;
  const encodings = (headers["content-encoding"] ?? "")
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token !== "");
  const mode = payloadMode(payloadHash);
  const streaming = mode === "streaming-unsigned-trailer";
  if (!streaming && encodings.includes("aws-chunked")) {
    throw s3Errors.invalidRequest("Content-Encoding aws-chunked requires x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  }

  let body = input.wireBody;
  let trailers: Readonly<Record<string, string>> = {};
  if (mode === "signed") {
    const actual = createHash("sha256").update(input.wireBody).digest("hex");
    if (actual !== payloadHash.toLowerCase()) throw s3Errors.xAmzContentSha256Mismatch(payloadHash, actual);
  } else if (streaming) {
    ({ body, trailers } = decodeStreaming(input.wireBody, headers));
  }

  const checksum = declaredChecksum(headers, trailers, streaming);
  if (checksum !== undefined) verifyChecksum(checksum, body);
  verifyContentMd5(headers["content-md5"], body);

  const contentEncoding = encodings.filter((token) => token !== "aws-chunked").join(",");
  return {
    body,
    ...(checksum === undefined ? {} : { checksum }),
    ...(contentEncoding === "" ? {} : { contentEncoding }),
  };
}

function decodeStreaming(wireBody: Buffer, headers: Readonly<Record<string, string>>): DecodedAwsChunked {
  const declaredLength = headers["x-amz-decoded-content-length"];
  if (declaredLength === undefined) throw s3Errors.missingContentLength();
  const decoded = decodeOrReject(wireBody);
  if (!/^\d+$/.test(declaredLength) || Number(declaredLength) !== decoded.body.length) throw s3Errors.incompleteBody();
  return decoded;
}

function decodeOrReject(wireBody: Buffer): DecodedAwsChunked {
  try {
    return decodeAwsChunked(wireBody);
  } catch (error) {
    if (error instanceof AwsChunkedDecodeError) throw s3Errors.incompleteBody();
    throw error;
  }
}

/** The single flexible checksum the client sent, from a header or the trailer it announced. */
function declaredChecksum(
  headers: Readonly<Record<string, string>>,
  trailers: Readonly<Record<string, string>>,
  streaming: boolean,
): ObjectChecksum | undefined {
  const found: ObjectChecksum[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const algorithm = name.startsWith("x-amz-checksum-") ? name.slice("x-amz-checksum-".length) : "";
    if (isChecksumAlgorithm(algorithm)) found.push({ algorithm, value });
  }

  const trailer = headers["x-amz-trailer"];
  if (trailer !== undefined) {
    if (!streaming) throw s3Errors.invalidRequest("x-amz-trailer requires an aws-chunked streaming payload");
    const name = trailer.trim().toLowerCase();
    const algorithm = name.startsWith("x-amz-checksum-") ? name.slice("x-amz-checksum-".length) : "";
    if (!isChecksumAlgorithm(algorithm)) throw s3Errors.invalidRequest(`Unsupported x-amz-trailer: ${trailer}`);
    const value = trailers[name];
    if (value === undefined) throw s3Errors.invalidRequest(`The trailer ${name} announced in x-amz-trailer was not sent.`);
    found.push({ algorithm, value });
  }

  if (found.length > 1) {
    throw s3Errors.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
  }
  const [checksum] = found;
  const sdkAlgorithm = headers["x-amz-sdk-checksum-algorithm"]?.toLowerCase();
  if (sdkAlgorithm !== undefined && sdkAlgorithm !== checksum?.algorithm) {
    throw s3Errors.invalidRequest(
      "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.",
    );
  }
  return checksum;
}

function verifyChecksum({ algorithm, value }: ObjectChecksum, body: Buffer): void {
  if (!BASE64.test(value) || Buffer.from(value, "base64").length !== checksumLength(algorithm)) {
    throw s3Errors.invalidRequest(`Value for x-amz-checksum-${algorithm} header is invalid.`);
  }
  const actual = computeChecksum(algorithm, body);
  if (actual === undefined) throw s3Errors.notImplemented(`x-amz-checksum-${algorithm}`);
  if (actual !== value) {
    throw s3Errors.badDigest(`The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
  }
}

function verifyContentMd5(contentMd5: string | undefined, body: Buffer): void {
  if (contentMd5 === undefined) return;
  if (!BASE64.test(contentMd5) || Buffer.from(contentMd5, "base64").length !== 16) throw s3Errors.invalidDigest();
  if (createHash("md5").update(body).digest("base64") !== contentMd5) {
    throw s3Errors.badDigest("The Content-MD5 you specified did not match what we received.");
  }
}
