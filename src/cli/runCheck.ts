import type { Logger } from "pino";
import type { ShipLogsConfig } from "../config/index.js";
import { checkGlob, checkStateDir } from "../check/checkFiles.js";
import { checkImds, checkRole, type ImdsFacts } from "../check/checkImds.js";
import type { CheckResult } from "../check/CheckResult.js";
import { checkUpload } from "../check/checkUpload.js";
import { formatChecks } from "../check/formatChecks.js";
import { CredentialCache } from "../credentials/CredentialCache.js";
import { useImdsEndpoint } from "../credentials/imdsEndpoint.js";
import { instanceMetadata } from "../credentials/instanceMetadata.js";
import { createS3Client } from "../sink/createS3Client.js";
import { credentialSource, putParameters } from "./wirePipeline.js";
import { hostname } from "node:os";

/**
 * `ship-logs check`: the preflight an operator runs after install. Every check
 * runs even when an earlier one failed, so one run lists every problem.
 */
export async function runCheck(config: ShipLogsConfig, logger: Logger): Promise<number> {
  const results: CheckResult[] = [];
  useImdsEndpoint(config.imdsEndpoint);
  const metadata = instanceMetadata({ endpoint: config.imdsEndpoint });
  const facts: ImdsFacts = { instanceId: undefined, region: undefined };
  const imds = await checkImds(metadata, config.imdsEndpoint, facts);
  const onEc2 = imds.status === "ok";
  if (config.credentials === "imds" || onEc2) {
    const role: CheckResult =
      config.credentials !== "imds"
        ? { name: "role", status: "skip", detail: "--credentials chain: no instance profile needed" }
        : onEc2
          ? await checkRole(metadata, config.imdsEndpoint)
          : { name: "role", status: "skip", detail: "IMDS did not answer" };
    results.push(imds, role);
  } else {
    results.push({ name: "imds", status: "skip", detail: `not on EC2 (${imds.detail}); --credentials chain` });
  }

  const { source, describe } = credentialSource(config, logger);
  const credentials = new CredentialCache({ source, logger, describeError: describe });
  let haveCredentials = false;
  try {
    const identity = await credentials.get();
    haveCredentials = true;
    const expiry = identity.expiration ? `, expire ${identity.expiration.toISOString()}` : "";
    results.push({ name: "credentials", status: "ok", detail: `access key …${identity.accessKeyId.slice(-4)}${expiry}` });
  } catch (error) {
    results.push({ name: "credentials", status: "fail", detail: (error as Error).message, fix: "attach an instance profile (docs/iam) or fix --credentials" });
  }

  const region = config.region ?? facts.region;
  results.push(
    region
      ? { name: "region", status: "ok", detail: `${region}${config.region ? "" : " (from IMDS)"}` }
      : { name: "region", status: "fail", detail: "unknown", fix: "give --region or AWS_REGION" },
  );
  for (const pattern of config.watch) results.push(await checkGlob(pattern));
  results.push(await checkStateDir(config.stateDir));

  if (region && haveCredentials) {
    const client = createS3Client({
      region,
      endpoint: config.endpoint,
      credentials: () => credentials.get(),
      logger,
      checksum: config.checksum,
      idleTimeoutMs: config.requestTimeoutMs,
    });
    try {
      const instance = facts.instanceId ?? hostname();
      results.push(await checkUpload({ client, bucket: config.bucket, key: `${config.prefix}ship-logs-check/${instance}.txt`, prefix: config.prefix, putParameters: putParameters(config) }));
    } finally {
      client.destroy();
    }
  } else {
    results.push({ name: "upload", status: "skip", detail: "needs credentials and a region" });
  }

  process.stdout.write(config.json ? `${JSON.stringify(results, null, 2)}\n` : formatChecks(results));
  return results.every((result) => result.status !== "fail") ? 0 : 1;
}
