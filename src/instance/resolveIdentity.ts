import { hostname } from "node:os";
import type { Logger } from "pino";
import { describeImdsError } from "../credentials/describeCredentialError.js";
import type { InstanceMetadata } from "../credentials/instanceMetadata.js";
import { FatalError } from "../errors/FatalError.js";

export interface HostIdentity {
  instanceId: string;
  region: string;
}

export interface ResolveIdentityOptions {
  metadata: InstanceMetadata;
  imdsEndpoint: string;
  region: string | undefined;
  /** With the default chain the host need not be on EC2: fall back to the host name. */
  requireImds: boolean;
  logger: Logger;
}

/**
 * The instance id for object keys and the signing region (--region, else
 * AWS_REGION, else IMDS placement/region). The region is passed to the S3
 * client explicitly so that the SDK never probes IMDS on its own.
 */
export async function resolveIdentity(options: ResolveIdentityOptions): Promise<HostIdentity> {
  const { metadata, imdsEndpoint, logger } = options;
  let instanceId: string;
  try {
    instanceId = await metadata.get("meta-data/instance-id");
  } catch (error) {
    const why = describeImdsError(error, imdsEndpoint);
    if (options.requireImds) throw new FatalError(`cannot read the instance id: ${why}`);
    instanceId = hostname();
    logger.warn({ instanceId, reason: why }, "not on EC2: using the host name in object keys");
  }
  if (options.region !== undefined) return { instanceId, region: options.region };
  try {
    return { instanceId, region: await metadata.get("meta-data/placement/region") };
  } catch (error) {
    throw new FatalError(`no region: give --region or AWS_REGION (IMDS: ${describeImdsError(error, imdsEndpoint)})`);
  }
}
