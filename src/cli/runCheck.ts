import type { Logger } from "pino";
import type { ShipLogsConfig } from "../config/index.js";
import { checkGlob, checkStateDir } from "../check/checkFiles.js";
import { checkImds, checkRole, credentialsFix, type ImdsFacts } from "../check/checkImds.js";
import type { CheckResult } from "../check/CheckResult.js";
import { checkUpload } from "../check/checkUpload.js";
import { clockAheadResult } from "../check/clockAheadResult.js";
import { formatChecks } from "../check/formatChecks.js";
import type { S3Client } from "@aws-sdk/client-s3";
import { CredentialCache, type ExpiredByHostClock } from "../credentials/CredentialCache.js";
import { CredentialsUnavailableError } from "../credentials/CredentialsUnavailableError.js";
import { useImdsEndpoint } from "../credentials/imdsEndpoint.js";
import { instanceMetadata } from "../credentials/instanceMetadata.js";
import { createS3Client } from "../sink/createS3Client.js";
import { credentialSource, putParameters } from "./wirePipeline.js";
import { realpath } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { writeOutput } from "./writeOutput.js";

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
  let client: S3Client | undefined;
  // Expiry judged by S3's clock once the probe has had an answer, as the daemon does (wirePipeline).
  const credentials = new CredentialCache({ source, logger, describeError: describe, now: () => Date.now() + Math.min(0, client?.config.systemClockOffset ?? 0) });
  let haveCredentials = false;
  let keyLine = "";
  let expiredByHostClock: ExpiredByHostClock | undefined;
  const credentialsAt = results.length;
  try {
    const identity = await credentials.get();
    haveCredentials = true;
    const expiry = identity.expiration ? `, expire ${identity.expiration.toISOString()}` : "";
    keyLine = `access key …${identity.accessKeyId.slice(-4)}${expiry}`;
    expiredByHostClock = credentials.expiredByHostClock();
    results.push(expiredByHostClock ? clockAheadResult(keyLine, expiredByHostClock) : { name: "credentials", status: "ok", detail: keyLine });
  } catch (error) {
    const detail = (error as Error).message;
    // The fix follows what went wrong, as the cache recorded it: never the words of the line.
    const kind = error instanceof CredentialsUnavailableError ? error.imdsKind : undefined;
    const find = (name: string): CheckResult | undefined => results.find((result) => result.name === name);
    results.push({ name: "credentials", status: "fail", detail, fix: credentialsFix(kind, find("imds"), find("role")) });
  }

  const region = config.region ?? facts.region;
  results.push(
    region
      ? { name: "region", status: "ok", detail: `${region}${config.region ? "" : " (from IMDS)"}` }
      : { name: "region", status: "fail", detail: "unknown", fix: "give --region or AWS_REGION" },
  );
  // Not created by a check: a state dir not made yet holds nothing to leave out.
  const stateDir = await realpath(config.stateDir).catch(() => resolve(config.stateDir));
  for (const pattern of config.watch) results.push(await checkGlob(pattern, [stateDir]));
  results.push(await checkStateDir(config.stateDir));

  if (region && haveCredentials) {
    const probing = createS3Client({
      region,
      endpoint: config.endpoint,
      credentials: () => credentials.get(),
      logger,
      checksum: config.checksum,
      idleTimeoutMs: config.requestTimeoutMs,
    });
    client = probing;
    try {
      const instance = facts.instanceId ?? hostname();
      const upload = await checkUpload({ client: probing, bucket: config.bucket, key: `${config.prefix}ship-logs-check/${instance}.txt`, prefix: config.prefix, putParameters: putParameters(config) });
      results.push(upload.result);
      if (expiredByHostClock) {
        // S3's answer to the probe tells a fast clock from keys that really have expired.
        results[credentialsAt] = clockAheadResult(keyLine, expiredByHostClock, { upload, s3ClockOffsetMs: probing.config.systemClockOffset ?? 0 });
      }
    } finally {
      probing.destroy();
    }
  } else {
    results.push({ name: "upload", status: "skip", detail: "needs credentials and a region" });
  }

  writeOutput(1, config.json ? `${JSON.stringify(results, null, 2)}\n` : formatChecks(results));
  return results.every((result) => result.status !== "fail") ? 0 : 1;
}
