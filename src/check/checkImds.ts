import { describeImdsError } from "../credentials/describeCredentialError.js";
import type { InstanceMetadata } from "../credentials/instanceMetadata.js";
import type { CheckResult } from "./CheckResult.js";

export interface ImdsFacts {
  instanceId: string | undefined;
  region: string | undefined;
}

/** IMDSv2 answers; the instance id and region it reports. */
export async function checkImds(metadata: InstanceMetadata, endpoint: string, facts: ImdsFacts): Promise<CheckResult> {
  try {
    facts.instanceId = await metadata.get("meta-data/instance-id");
    facts.region = await metadata.get("meta-data/placement/region");
    return { name: "imds", status: "ok", detail: `IMDSv2 at ${endpoint}: instance ${facts.instanceId}, region ${facts.region}` };
  } catch (error) {
    const detail = describeImdsError(error, endpoint);
    return { name: "imds", status: "fail", detail, fix: imdsFix(detail) };
  }
}

/**
 * What to do about IMDS, by what went wrong (as describeImdsError said it):
 * the options that enable it are no fix for a token PUT whose answer cannot
 * come back over the hops (a container), nor for a host that is not on EC2.
 */
export function imdsFix(detail: string): string {
  if (detail.includes("--http-put-response-hop-limit")) {
    return "on EC2, inside a container: aws ec2 modify-instance-metadata-options --instance-id ID --http-put-response-hop-limit 2 (and check that no firewall drops traffic to 169.254.169.254)";
  }
  if (detail.includes("(403)")) return "aws ec2 modify-instance-metadata-options --instance-id ID --http-endpoint enabled --http-tokens required";
  if (detail.includes("unreachable")) return "run on EC2, or correct --imds-endpoint; off EC2, use --credentials chain";
  return "on EC2: aws ec2 modify-instance-metadata-options --instance-id ID --http-endpoint enabled --http-tokens required";
}

/**
 * What to do when no credentials could be had, given what the IMDS and role
 * checks found: an instance profile is the fix only when none is attached.
 */
export function credentialsFix(detail: string, imds: CheckResult | undefined, role: CheckResult | undefined): string {
  if (detail.includes("AssumeRoleUnauthorizedAccess")) {
    return "the instance profile is attached, but EC2 may not assume its role: the role's trust policy must allow sts:AssumeRole to the service ec2.amazonaws.com (docs/iam)";
  }
  if (detail.includes("its document says")) return "EC2 could not get credentials for the instance's role (the code above): check the role and its trust policy (docs/iam)";
  if (imds?.status === "fail") return `IMDS must answer first (see the imds line): ${imds.fix ?? imdsFix(imds.detail)}`;
  if (role?.status === "fail") return "attach an instance profile (see the role line; docs/iam)";
  if (imds === undefined || imds.status === "skip") return "fix --credentials chain's source (environment, profile, SSO), or run on EC2 with an instance profile";
  return "attach an instance profile (docs/iam) or fix --credentials";
}

/** An instance profile is attached: IMDS lists its role. */
export async function checkRole(metadata: InstanceMetadata, endpoint: string): Promise<CheckResult> {
  try {
    const role = (await metadata.get("meta-data/iam/security-credentials/")).split("\n")[0] ?? "";
    if (role === "") throw Object.assign(new Error("empty"), { $metadata: { httpStatusCode: 404 } });
    return { name: "role", status: "ok", detail: `instance role ${role}` };
  } catch (error) {
    return {
      name: "role",
      status: "fail",
      detail: describeImdsError(error, endpoint),
      fix: "no role attached: aws ec2 associate-iam-instance-profile --instance-id ID --iam-instance-profile Name=ship-logs (see docs/iam)",
    };
  }
}
