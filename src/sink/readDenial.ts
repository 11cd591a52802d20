import { errorField } from "../log/errorField.js";

/** What an AccessDenied's message says was refused, and by which kind of policy. */
export interface Denial {
  /** `s3:PutObject`, `kms:GenerateDataKey`. */
  action?: string;
  /** "no identity-based policy allows", "an explicit deny in a VPC endpoint policy". */
  policy?: string;
}

/**
 * S3 says in an AccessDenied's message which action was refused (a role
 * that may PutObject but not use the bucket's KMS key is refused
 * `kms:GenerateDataKey`) and, since 2023, which kind of policy refused it.
 * Only those two facts are taken, each by a pattern that admits nothing but
 * an action name or a policy phrase: the rest of the message names the
 * role and resource and may echo anything a proxy put there.
 */
export function readDenial(error: unknown): Denial {
  const message = errorField(error, "message");
  if (typeof message !== "string") return {};
  const action = /not authorized to perform: ([a-z0-9-]{2,20}:[A-Za-z0-9]{2,64})\b/.exec(message)?.[1];
  const policy = /\b(because no [a-z-]{3,40} policy allows|with an explicit deny in an? [A-Za-z -]{3,40} policy)\b/.exec(message)?.[1];
  return { ...(action ? { action } : {}), ...(policy ? { policy: policy.replace(/^because /, "").replace(/^with /, "") } : {}) };
}
