import { timingSafeEqual } from "node:crypto";
import type { CredentialAuthority } from "../CredentialAuthority.js";
import { formatAmzDate, parseAmzDate } from "./parseAmzDate.js";
import { parseAuthorization } from "./parseAuthorization.js";
import type { QueryParams } from "./parseRequestTarget.js";
import { s3Errors } from "./s3Errors.js";
import { verifySignature } from "./verifySignature.js";

export interface AuthenticationInput {
  readonly method: string;
  readonly rawPath: string;
  readonly query: QueryParams;
  /** Lower-case names, repeated headers joined by ",". */
  readonly headers: Readonly<Record<string, string>>;
  readonly authority: CredentialAuthority;
  /** The server clock, epoch ms. */
  readonly now: number;
  readonly maxSkewMs: number;
  /** When set, only signatures scoped to this region are accepted. */
  readonly region?: string;
}

export interface Authenticated {
  readonly accessKeyId: string;
  /** The signed `x-amz-content-sha256` value: a hex digest or a payload mode such as `UNSIGNED-PAYLOAD`. */
  readonly payloadHash: string;
}

/**
 * Authenticates a SigV4 header-signed request, checking in the order a client can tell apart:
 * missing Authorization → AccessDenied; malformed → AuthorizationHeaderMalformed; unknown or
 * revoked key → InvalidAccessKeyId; clock skew → RequestTimeTooSkewed; wrong or missing session
 * token → InvalidToken; expired → ExpiredToken; bad signature → SignatureDoesNotMatch; unsigned
 * `x-amz-*` headers → AccessDenied. Throws the matching `S3Error`.
 */
export async function authenticateRequest(input: AuthenticationInput): Promise<Authenticated> {
  const { headers } = input;
  if ("X-Amz-Signature" in input.query || "X-Amz-Algorithm" in input.query) {
    throw s3Errors.notImplemented("query-string (presigned URL) authentication");
  }
  const header = headers["authorization"];
  if (header === undefined) throw s3Errors.accessDenied();
  const auth = parseAuthorization(header);

  if (auth.scopeService !== "s3") {
    throw s3Errors.authorizationHeaderMalformed(`incorrect service "${auth.scopeService}". This endpoint belongs to "s3".`);
  }
  if (input.region !== undefined && auth.scopeRegion !== input.region) {
    throw s3Errors.authorizationHeaderMalformed(
      `the region '${auth.scopeRegion}' is wrong; expecting '${input.region}'`,
      { Region: input.region },
    );
  }

  const issued = input.authority.lookup(auth.accessKeyId);
  // S3 answers for a deleted key exactly as for one that never existed.
  if (issued === undefined || issued.revoked) throw s3Errors.invalidAccessKeyId();

  const amzDate = headers["x-amz-date"];
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || signingDate === undefined) {
    throw s3Errors.accessDenied("AWS authentication requires a valid Date or x-amz-date header");
  }
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw s3Errors.authorizationHeaderMalformed("Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  if (Math.abs(signingDate - input.now) > input.maxSkewMs) {
    throw s3Errors.requestTimeTooSkewed(
      formatAmzDate(signingDate),
      new Date(input.now).toISOString().replace(/\.\d{3}Z$/, "Z"),
      input.maxSkewMs,
    );
  }

  const token = headers["x-amz-security-token"];
  if (issued.sessionToken === "" ? token !== undefined : token === undefined || !sameSecret(token, issued.sessionToken)) {
    throw s3Errors.invalidToken();
  }
  if (input.now >= issued.expiration.getTime()) throw s3Errors.expiredToken();

  const payloadHash = headers["x-amz-content-sha256"];
  if (payloadHash === undefined) throw s3Errors.invalidRequest("Missing required header for this request: x-amz-content-sha256");

  const valid = await verifySignature({
    method: input.method,
    rawPath: input.rawPath,
    query: input.query,
    headers,
    authorization: auth,
    secretAccessKey: issued.secretAccessKey,
    signingDate,
  });
  if (!valid) throw s3Errors.signatureDoesNotMatch();

  // S3 refuses x-amz-* headers outside the signature: they would let anyone on the path alter
  // metadata, checksums or conditions of a signed request.
  const signed = new Set(auth.signedHeaders);
  const unsigned = Object.keys(headers).filter((name) => name.startsWith("x-amz-") && !signed.has(name));
  if (unsigned.length > 0) {
    throw s3Errors.accessDenied("There were headers present in the request which were not signed", {
      HeadersNotSigned: unsigned.join(", "),
    });
  }
  return { accessKeyId: auth.accessKeyId, payloadHash };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
