import { CredentialsUnavailableError } from "../credentials/CredentialsUnavailableError.js";
import { errorField } from "../log/errorField.js";
import { isSafeErrorCode } from "../log/isSafeErrorCode.js";
import { readDenial, type Denial } from "./readDenial.js";
import { isTlsFailure } from "./tlsAdvice.js";

/**
 * - `credentials`: S3 rejected the keys themselves; fetch new ones and resend.
 * - `no-credentials`: none could be had; wait for the provider.
 * - `transient`: worth retrying as is (5xx, throttling, network).
 * - `permanent`: retrying will not help until an operator acts (permissions, bucket).
 */
export type S3ErrorClass = "credentials" | "no-credentials" | "transient" | "permanent";

const CREDENTIAL_CODES = new Set(["ExpiredToken", "InvalidToken", "InvalidAccessKeyId", "TokenRefreshRequired"]);
const PERMANENT_CODES = new Set([
  "AccessDenied",
  "NoSuchBucket",
  "InvalidBucketName",
  "AllAccessDisabled",
  "InvalidArgument",
  "KMS.AccessDeniedException",
  "AuthorizationHeaderMalformed",
  "PermanentRedirect",
]);

/**
 * 4xx answers that say "send it again": a body that stalled or arrived cut
 * or damaged on the way, or a conflicting operation in progress. Classed as
 * permanent with the other 4xx, they failed a `--once` run on a slow link.
 */
const TRANSIENT_CLIENT_CODES = new Set(["RequestTimeout", "OperationAborted", "IncompleteBody", "BadDigest", "XAmzContentSHA256Mismatch"]);

export interface S3ErrorInfo {
  class: S3ErrorClass;
  /** S3 error code or Node error code or error name: safe to log, never a secret. */
  code: string;
  status: number | undefined;
  /** For AccessDenied: what S3's message says was refused, and by which policy. */
  denial?: Denial;
  /** For a request signed for the wrong region: the bucket's region, as S3 named it. */
  bucketRegion?: string;
}

/** What a region name looks like (`eu-central-1`, `us-gov-west-1`): anything else is not shown. */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * The region S3 says the bucket is in, when the request went to another:
 * `<Region>` of AuthorizationHeaderMalformed, the `x-amz-bucket-region`
 * header or `<Endpoint>` of PermanentRedirect.
 */
function bucketRegionOf(error: unknown): string | undefined {
  const headers = errorField(errorField(error, "$response"), "headers");
  const endpoint = errorField(error, "Endpoint");
  const candidates = [
    errorField(error, "Region"),
    errorField(headers, "x-amz-bucket-region"),
    typeof endpoint === "string" ? /\.s3[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(endpoint)?.[1] : undefined,
  ];
  return candidates.find((candidate): candidate is string => typeof candidate === "string" && REGION.test(candidate));
}

/** What a permanent failure's answer says beyond its code: what was denied, or where the bucket is. */
function permanentDetail(code: string, httpStatus: number | undefined, error: unknown): Pick<S3ErrorInfo, "denial" | "bucketRegion"> {
  if (code === "AccessDenied") return { denial: readDenial(error) };
  if (code !== "PermanentRedirect" && code !== "AuthorizationHeaderMalformed" && httpStatus !== 301) return {};
  const bucketRegion = bucketRegionOf(error);
  return bucketRegion ? { bucketRegion } : {};
}

export function classifyS3Error(error: unknown): S3ErrorInfo {
  if (error instanceof CredentialsUnavailableError) return { class: "no-credentials", code: error.name, status: undefined };
  const name = errorField(error, "name");
  const nodeCode = errorField(error, "code");
  const status = errorField(errorField(error, "$metadata"), "httpStatusCode");
  const httpStatus = typeof status === "number" ? status : undefined;
  // The SDK names a connection reset "TimeoutError" (code ECONNRESET): a
  // transport error (no HTTP status) is told by its errno code when it has one.
  const errno = httpStatus === undefined && typeof nodeCode === "string" && /^E[A-Z0-9_]+$/.test(nodeCode) ? nodeCode : undefined;
  const given = errno ?? (typeof name === "string" && name !== "Error" ? name : typeof nodeCode === "string" ? nodeCode : "UnknownError");
  // The name is the endpoint's <Code>, which a proxy or an S3-compatible
  // server may fill with anything (an echo of the request, its token
  // included): it goes to logs, to `check`'s output and into a metrics label.
  const code = isSafeErrorCode(given) ? given : "UnknownError";
  if (CREDENTIAL_CODES.has(code)) return { class: "credentials", code, status: httpStatus };
  // SignatureDoesNotMatch after a rotation can mean the secret paired with a
  // stale key id; a fresh fetch is the cure, as for an expired token.
  if (code === "SignatureDoesNotMatch") return { class: "credentials", code, status: httpStatus };
  // A bare 301 is S3's redirect to the bucket's region; an untrusted or
  // out-of-date certificate stays so until an operator acts.
  if (PERMANENT_CODES.has(code) || httpStatus === 301 || isTlsFailure(code)) {
    return { class: "permanent", code, status: httpStatus, ...permanentDetail(code, httpStatus, error) };
  }
  if (TRANSIENT_CLIENT_CODES.has(code)) return { class: "transient", code, status: httpStatus };
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429) {
    return { class: "permanent", code, status: httpStatus };
  }
  return { class: "transient", code, status: httpStatus };
}
