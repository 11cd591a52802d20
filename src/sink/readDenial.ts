import { errorField } from "../log/errorField.js";

/** What an AccessDenied's message says was refused, and by which kind of policy. */
export interface Denial {
  /** `s3:PutObject`, `kms:GenerateDataKey`. */
  action?: string;
  /** "no identity-based policy allows", "an explicit deny in a VPC endpoint policy". */
  policy?: string;
}

/** The actions a PutObject or a multipart upload needs: nothing else is repeated (an echo could put a key id there). */
const ACTIONS = new Set([
  "s3:PutObject",
  "s3:AbortMultipartUpload",
  "kms:GenerateDataKey",
  "kms:Decrypt",
  "kms:Encrypt",
]);

/** The phrases S3 uses for the kind of policy that refused ("because no identity-based policy allows", "with an explicit deny in a VPC endpoint policy"). */
const POLICY =
  /\b(?:because |with )(no (?:identity-based|resource-based|session) policy allows|no permissions boundary allows|an explicit deny in an? (?:identity-based|resource-based|VPC endpoint|service control|resource control|session) policy|an explicit deny in a permissions boundary)\b/;

/**
 * S3 says in an AccessDenied's message which action was refused (a role
 * that may PutObject but not use the bucket's KMS key is refused
 * `kms:GenerateDataKey`) and, since 2023, which kind of policy refused it.
 * Only those two facts are taken, each from a closed list of action names
 * and policy phrases: the rest of the message names the role and resource
 * and may echo anything a proxy or a hostile endpoint put there.
 */
export function readDenial(error: unknown): Denial {
  const message = errorField(error, "message");
  if (typeof message !== "string") return {};
  const action = /not authorized to perform: ((?:s3|kms):[A-Za-z]+)\b/.exec(message)?.[1];
  const policy = POLICY.exec(message)?.[1];
  return { ...(action && ACTIONS.has(action) ? { action } : {}), ...(policy ? { policy } : {}) };
}
