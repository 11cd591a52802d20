import { describeProviderFailure } from "./describeProviderFailure.js";
import { errorField } from "../log/errorField.js";
import type { ImdsFailure } from "./ImdsFailure.js";
import { isInvalidDocument } from "./isInvalidDocument.js";
import { tokenRequestStatus } from "./tokenRequestStatus.js";

/** Node error codes that mean "nothing answered at that address". */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET"]);

const HOP_LIMIT_HINT =
  "inside a container, the instance's HttpPutResponseHopLimit must be 2 (aws ec2 modify-instance-metadata-options --http-put-response-hop-limit 2)";

const UNREACHABLE_IN_MESSAGE = new RegExp(`\\b(${[...UNREACHABLE_CODES].join("|")})\\b`);

/**
 * The Node error code behind `error`. The SDK's MetadataService (instance id,
 * region) wraps socket errors in a plain Error that keeps the cause only in its
 * message ("Error fetching metadata token: Error: connect ECONNREFUSED ..."),
 * so look there too; only the code is taken from the message, never its text.
 */
function networkCode(error: unknown): string | undefined {
  const code = errorField(error, "code");
  if (typeof code === "string") return code;
  const message = errorField(error, "message");
  return typeof message === "string" ? UNREACHABLE_IN_MESSAGE.exec(message)?.[1] : undefined;
}

/**
 * One line for the operator about a failed IMDS credentials or metadata call
 * (see classifyImdsError).
 */
export function describeImdsError(error: unknown, endpoint: string): string {
  return classifyImdsError(error, endpoint).detail;
}

/**
 * What went wrong at IMDS: its kind, for `check` to choose its fix by, and one
 * line for the operator. Built from error names, codes and status codes only:
 * provider messages can echo response bodies (research §2b.6), and those
 * bodies hold secrets.
 */
export function classifyImdsError(error: unknown, endpoint: string): ImdsFailure {
  const name = errorField(error, "name");
  const code = networkCode(error);
  const status = errorField(error, "statusCode") ?? (errorField(errorField(error, "$metadata"), "httpStatusCode") as unknown);
  const tokenStatus = tokenRequestStatus(error);
  const message = typeof errorField(error, "message") === "string" ? (errorField(error, "message") as string) : "";
  if (name === "InstanceMetadataV1FallbackError") {
    // With IMDSv1 disabled, every token PUT failure other than 400 surfaces as this.
    return {
      kind: "token-unanswered",
      detail: `IMDS token request failed at ${endpoint} (endpoint unreachable, timed out, refused or returned an error); ${HOP_LIMIT_HINT}`,
    };
  }
  if (typeof code === "string" && UNREACHABLE_CODES.has(code)) {
    return { kind: "unreachable", detail: `IMDS unreachable at ${endpoint} (${code}): not running on EC2, or --imds-endpoint is wrong` };
  }
  if (name === "ImdsStalledError") {
    return { kind: "stalled", detail: `IMDS at ${endpoint} stopped partway through its answers (${message}); a proxy or firewall in between?` };
  }
  if (/timeout/i.test(message) || code === "ETIMEDOUT" || name === "TimeoutError") {
    return { kind: "timeout", detail: `IMDS at ${endpoint} did not answer in time; ${HOP_LIMIT_HINT}` };
  }
  if (tokenStatus === 403 || status === 403) {
    // EC2 answers 403 to everything while the instance's metadata endpoint is turned off.
    return {
      kind: "endpoint-disabled",
      detail: `IMDS at ${endpoint} refused the request (403): is the instance's metadata endpoint turned off? (aws ec2 modify-instance-metadata-options --instance-id ID --http-endpoint enabled)`,
    };
  }
  if (tokenStatus !== undefined && tokenStatus >= 500) {
    // IMDS answers 5xx (or 429) while it is busy: no sign of a wrong endpoint.
    return { kind: "busy", detail: `IMDS token request to ${endpoint} answered HTTP ${tokenStatus} (IMDS busy or failing for now)` };
  }
  if (tokenStatus !== undefined) {
    return { kind: "not-imds", detail: `IMDS token request to ${endpoint} answered HTTP ${tokenStatus}: is that an instance metadata service?` };
  }
  if (status === 404) {
    return {
      kind: "no-role",
      detail: `IMDS at ${endpoint} has no IAM role for this instance (404): attach an instance profile (aws ec2 associate-iam-instance-profile --instance-id ID --iam-instance-profile Name=PROFILE)`,
    };
  }
  if (status === 401) {
    return { kind: "token-rejected", detail: `IMDS at ${endpoint} rejected the session token (401)` };
  }
  if (typeof status === "number") {
    return { kind: "http-error", detail: `IMDS at ${endpoint} answered HTTP ${status}` };
  }
  if (name === "SyntaxError") {
    return { kind: "bad-document", detail: `IMDS at ${endpoint} returned a credentials document that is not valid JSON` };
  }
  if (name === "RoleCredentialsRefusedError") {
    const refusal = errorField(error, "refusal");
    const untrusted = refusal === "AssumeRoleUnauthorizedAccess";
    const why = untrusted ? ": the role's trust policy must let ec2.amazonaws.com assume it (sts:AssumeRole)" : "";
    return {
      kind: untrusted ? "role-not-assumable" : "role-refused",
      detail: `IMDS at ${endpoint} has no credentials for the instance's role: its document says ${String(refusal)}${why}`,
    };
  }
  if (isInvalidDocument(error)) {
    return { kind: "bad-document", detail: `IMDS at ${endpoint} returned a credentials document without AccessKeyId, SecretAccessKey, Token and Expiration` };
  }
  return { kind: "other", detail: `IMDS request to ${endpoint} failed (${typeof name === "string" ? name : "unknown error"}${typeof code === "string" ? ` ${code}` : ""})` };
}

/**
 * One line about a failure of the SDK's default chain. The chain's own message
 * ("Could not load credentials from any providers") hides the cause, so name
 * the error, and say what of its message can hold no secret.
 */
export function describeChainError(error: unknown): string {
  return `the default credential chain found no credentials (${describeProviderFailure(error)})`;
}
