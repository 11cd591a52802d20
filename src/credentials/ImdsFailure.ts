/**
 * What went wrong at IMDS, as data: `check` picks its fix by the kind, never
 * by the words of the operator's line (which may be reworded freely).
 * - token-unanswered: the token PUT failed without a status (hop limit 1 in a container, or nothing there)
 * - unreachable: nothing answered at the address (not on EC2, or a wrong --imds-endpoint)
 * - stalled: an answer stopped partway
 * - timeout: no answer in time
 * - endpoint-disabled: 403, the instance's metadata endpoint is turned off
 * - busy: the token PUT answered 5xx or 429
 * - not-imds: the token PUT answered another status
 * - no-role: 404, no instance profile attached
 * - token-rejected: 401
 * - http-error: another status for a metadata GET (500: IMDS failing)
 * - bad-document: a credentials document that is not JSON, or has no keys
 * - role-not-assumable: EC2's document says AssumeRoleUnauthorizedAccess
 * - role-refused: EC2's document gives another code than Success
 * - other: none of these
 */
export type ImdsFailureKind =
  | "token-unanswered"
  | "unreachable"
  | "stalled"
  | "timeout"
  | "endpoint-disabled"
  | "busy"
  | "not-imds"
  | "no-role"
  | "token-rejected"
  | "http-error"
  | "bad-document"
  | "role-not-assumable"
  | "role-refused"
  | "other";

/** A failed IMDS call: its kind, and one line for the operator (free of secrets). */
export interface ImdsFailure {
  kind: ImdsFailureKind;
  detail: string;
}
