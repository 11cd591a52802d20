import { hostname as osHostname } from "node:os";
import { describeImdsError } from "../credentials/describeCredentialError.js";
import type { InstanceMetadata } from "../credentials/instanceMetadata.js";
import type { KeyTemplate } from "../sink/KeyTemplate.js";
import type { HostKeyValues } from "../sink/objectKey.js";
import { FatalError } from "../errors/FatalError.js";
import type { HostIdentity } from "./resolveIdentity.js";

export interface ResolveKeyValuesOptions {
  template: KeyTemplate;
  identity: HostIdentity;
  /** No --region or AWS_REGION was given, so `identity.region` is the instance's own (IMDS placement/region). */
  regionFromImds: boolean;
  metadata: InstanceMetadata;
  imdsEndpoint: string;
  hostname?: () => string;
}

const ACCOUNT_ID = /^\d{12}$/;

async function readAccountId(metadata: InstanceMetadata, imdsEndpoint: string): Promise<string> {
  let document: unknown;
  try {
    document = JSON.parse(await metadata.get("dynamic/instance-identity/document"));
  } catch (error) {
    const why = error instanceof SyntaxError ? "not JSON" : describeImdsError(error, imdsEndpoint);
    throw new FatalError(`the key template uses {account}, but the instance identity document cannot be read: ${why}`);
  }
  const accountId = (document as { accountId?: unknown } | null)?.accountId;
  if (typeof accountId !== "string" || !ACCOUNT_ID.test(accountId)) {
    throw new FatalError("the key template uses {account}, but the instance identity document holds no 12-digit accountId");
  }
  return accountId;
}

async function readRegion(options: ResolveKeyValuesOptions): Promise<string> {
  if (options.regionFromImds) return options.identity.region;
  try {
    return await options.metadata.get("meta-data/placement/region");
  } catch (error) {
    throw new FatalError(`the key template uses {region}, but IMDS placement/region cannot be read: ${describeImdsError(error, options.imdsEndpoint)}`);
  }
}

/**
 * The values of the host tokens the key template uses, read once at start and
 * only when used: no IMDS request for `{account}` unless the template has it.
 * `{region}` is the instance's own region, not the signing region: a fleet
 * spread over regions that writes one bucket signs every request for the
 * bucket's region (--region), yet wants its keys apart by where they came from.
 */
export async function resolveKeyValues(options: ResolveKeyValuesOptions): Promise<HostKeyValues> {
  const { tokens } = options.template;
  return {
    ...(tokens.has("instance") ? { instance: options.identity.instanceId } : {}),
    ...(tokens.has("hostname") ? { hostname: (options.hostname ?? osHostname)() } : {}),
    ...(tokens.has("region") ? { region: await readRegion(options) } : {}),
    ...(tokens.has("account") ? { account: await readAccountId(options.metadata, options.imdsEndpoint) } : {}),
  };
}
