import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeImdsError } from "../../src/credentials/describeCredentialError.js";
import { fromImds } from "../../src/credentials/fromImds.js";
import { IMDS_ENDPOINT_ENV } from "../../src/credentials/imdsEndpoint.js";
import type { SdkLogger } from "../../src/credentials/sdkLogger.js";
import { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";

const quiet: SdkLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe("fromImds", () => {
  let imds: FakeImds;
  const saved = process.env[IMDS_ENDPOINT_ENV];

  beforeEach(async () => {
    imds = await FakeImds.start();
    process.env[IMDS_ENDPOINT_ENV] = imds.endpoint;
  });

  afterEach(async () => {
    if (saved === undefined) delete process.env[IMDS_ENDPOINT_ENV];
    else process.env[IMDS_ENDPOINT_ENV] = saved;
    await imds.close();
  });

  it("recovers after IMDS answered the token PUT with 403 (a long-lived SDK provider would stop fetching tokens for good)", async () => {
    const source = fromImds({ logger: quiet, endpoint: imds.endpoint, timeoutMs: 500, maxRetries: 0 });
    const first = await source();
    expect(first.accessKeyId).toBe(imds.currentCredentials().accessKeyId);

    imds.failWith(403);
    // The status the SDK's provider drops, so that the operator reads "403: metadata endpoint turned off?".
    const refused: unknown = await source().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(describeImdsError(refused, imds.endpoint)).toMatch(/refused the request \(403\): is the instance's metadata endpoint turned off\?/);
    await imds.clearFaults();

    const rotated = imds.rotateCredentials();
    expect((await source()).accessKeyId).toBe(rotated.accessKeyId);
    assertImdsV2Only(imds);
  });

  it("reports the failure instead of handing back the previous keys with a made-up expiry", async () => {
    const source = fromImds({ logger: quiet, endpoint: imds.endpoint, timeoutMs: 500, maxRetries: 0 });
    await source();
    imds.failWith(500);
    await expect(source()).rejects.toThrow();
    assertImdsV2Only(imds);
  });

  it("says the code of EC2's document for a role it cannot assume, which the SDK's provider drops as an invalid response", async () => {
    const source = fromImds({ logger: quiet, endpoint: imds.endpoint, timeoutMs: 500, maxRetries: 0 });
    imds.refuseRoleCredentials();
    const refused: unknown = await source().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(describeImdsError(refused, imds.endpoint)).toBe(
      `IMDS at ${imds.endpoint} has no credentials for the instance's role: its document says AssumeRoleUnauthorizedAccess: the role's trust policy must let ec2.amazonaws.com assume it (sts:AssumeRole)`,
    );
    await imds.clearFaults();
    expect((await source()).accessKeyId).toBe(imds.currentCredentials().accessKeyId);
    assertImdsV2Only(imds);
  });
});
