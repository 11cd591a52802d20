import type { Denial } from "./readDenial.js";

/**
 * What to grant after an AccessDenied on PutObject, from what S3 said it
 * refused: a KMS action is the key's (SSE-KMS, asked for or the bucket's
 * default), and an explicit deny is a bucket or VPC endpoint policy's, which
 * no grant to the role overrides. `resource`: the key, or the prefix and `*`.
 */
export function accessDeniedAdvice(bucket: string, resource: string, denial: Denial): string {
  const by = denial.policy ? ` (${denial.action ?? "refused"}: ${denial.policy})` : "";
  if (denial.action?.startsWith("kms:")) {
    return `the instance role needs ${denial.action} on the bucket's KMS key (SSE-KMS), in its policy and the key's${by}`;
  }
  if (denial.policy?.startsWith("an explicit deny")) return `a policy denies it${by}: see the bucket policy or the VPC endpoint policy it names`;
  return `the instance role needs s3:PutObject on arn:aws:s3:::${bucket}/${resource}${by}`;
}
