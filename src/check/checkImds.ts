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
    return {
      name: "imds",
      status: "fail",
      detail: describeImdsError(error, endpoint),
      fix: "on EC2: aws ec2 modify-instance-metadata-options --instance-id ID --http-endpoint enabled --http-tokens required",
    };
  }
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
