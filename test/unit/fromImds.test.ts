import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeImdsError } from "../../src/credentials/describeCredentialError.js";
import { fromImds } from "../../src/credentials/fromImds.js";
import { ImdsStalledError } from "../../src/credentials/ImdsStalledError.js";
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

  it("settles within its deadline when the credentials document never ends (the SDK's provider bounds only each idle gap), so no call is left hanging", async () => {
    // Bytes trickle in faster than the idle timeout, and the document never ends.
    const trickles = new Set<NodeJS.Timeout>();
    const server = createServer((request, response) => {
      if (request.method === "PUT") return void response.writeHead(200, { "x-aws-ec2-metadata-token-ttl-seconds": "21600" }).end("token");
      if (request.url === "/latest/meta-data/iam/security-credentials/") return void response.writeHead(200).end("role");
      response.writeHead(200, { "content-type": "text/plain" });
      response.write("{");
      const trickle = setInterval(() => response.write(" "), 50);
      trickles.add(trickle);
      response.on("close", () => clearInterval(trickle));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env[IMDS_ENDPOINT_ENV] = endpoint;
    try {
      const source = fromImds({ logger: quiet, endpoint, timeoutMs: 250, maxRetries: 0 });
      const started = Date.now();
      const fetched = await source().then(
        () => "keys",
        (error: unknown) => error,
      );
      expect(fetched).toBeInstanceOf(ImdsStalledError);
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      for (const trickle of trickles) clearInterval(trickle);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 10_000);

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
