import { classifyImdsError, describeImdsError } from "../credentials/describeCredentialError.js";
import type { ImdsFailureKind } from "../credentials/ImdsFailure.js";
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
    const { kind, detail } = classifyImdsError(error, endpoint);
    return { name: "imds", status: "fail", detail, fix: imdsFix(kind) };
  }
}

/**
 * IMDS is there but failing (5xx), or answers what no IMDS would (a document
 * without keys, not JSON): no setting or profile fixes that, time or the
 * instance's health may.
 */
const IMDS_FAILING =
  "IMDS is failing or answering garbage, which no setting or instance profile fixes: run check again in a minute; if it persists, check the instance's health (aws ec2 describe-instance-status --instance-ids ID) or what answers at --imds-endpoint";

/**
 * What to do about IMDS, by what went wrong: the options that enable it are
 * no fix for a token PUT whose answer cannot come back over the hops (a
 * container), nor for a host that is not on EC2, nor for an IMDS that fails.
 */
export function imdsFix(kind: ImdsFailureKind): string {
  switch (kind) {
    case "token-unanswered":
    case "timeout":
      return "on EC2, inside a container: aws ec2 modify-instance-metadata-options --instance-id ID --http-put-response-hop-limit 2 (and check that no firewall drops traffic to 169.254.169.254)";
    case "endpoint-disabled":
      return "aws ec2 modify-instance-metadata-options --instance-id ID --http-endpoint enabled --http-tokens required";
    case "unreachable":
      return "run on EC2, or correct --imds-endpoint; off EC2, use --credentials chain";
    case "busy":
    case "http-error":
    case "bad-document":
      return IMDS_FAILING;
    default:
      return "on EC2: aws ec2 modify-instance-metadata-options --instance-id ID --http-endpoint enabled --http-tokens required";
  }
}

/**
 * What to do when no credentials could be had, given what went wrong at IMDS
 * (`kind`, when the credentials come from IMDS) and what the IMDS and role
 * checks found: an instance profile is the fix only when none is attached.
 */
export function credentialsFix(kind: ImdsFailureKind | undefined, imds: CheckResult | undefined, role: CheckResult | undefined): string {
  if (kind === "role-not-assumable") {
    return "the instance profile is attached, but EC2 may not assume its role: the role's trust policy must allow sts:AssumeRole to the service ec2.amazonaws.com (docs/iam)";
  }
  if (kind === "role-refused") return "EC2 could not get credentials for the instance's role (the code above): check the role and its trust policy (docs/iam)";
  if (imds?.status === "fail") return `IMDS must answer first (see the imds line)${imds.fix === undefined ? "" : `: ${imds.fix}`}`;
  if (role?.status === "fail") return "attach an instance profile (see the role line; docs/iam)";
  if (kind === "busy" || kind === "http-error" || kind === "bad-document") return IMDS_FAILING;
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
