import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { refreshedLogs } from "../support/credentialLogs.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { startShipping } from "../support/startShipping.js";
import { BUCKET } from "../support/world.js";

/**
 * Issue 4, step 5: the keys are revoked mid-run, long before their expiry (six-hour credentials).
 * fake-imds publishes new ones at once; the test S3 answers InvalidAccessKeyId for the old key.
 */
describe("credentials: forced refresh after S3 refuses the keys (e2e, real CLI)", () => {
  const scenario = useScenario();

  it("InvalidAccessKeyId: fetches new keys at once and resends the same batch under the same key; every line once", async () => {
    const world = await scenario.startWorld();
    const { writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5", "--log-level", "trace"]);
    await sleep(2_500);
    const revoked = world.imds.currentCredentials().accessKeyId;
    world.imds.revoke(revoked);
    await sleep(4_000);
    writer.stop();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 15_000);
    const result = await daemon.stop("SIGTERM");

    expect(result.code).toBe(0);
    const refused = world.s3.rejected("InvalidAccessKeyId");
    expect(refused.length, "uploads refused with the revoked key").toBeGreaterThanOrEqual(1);
    expect(refused.every((request) => request.accessKeyId === undefined || request.accessKeyId === revoked)).toBe(true);
    expect(world.s3.rejected().length).toBe(refused.length);
    // Each refused batch went again under the same key and is stored once (a refused PUT stores nothing).
    for (const request of refused) {
      const stored = world.s3.getObject(BUCKET, request.key ?? "");
      expect(stored?.putCount, `object ${request.key}`).toBe(1);
      expect(stored?.accessKeyId).toBe(world.imds.currentCredentials().accessKeyId);
    }
    expectShippedExactlyOnce(world, "app.log", writer.lines);

    // One forced refresh, visible in the log with the new key's suffix; no fetch per refused upload.
    const forced = refreshedLogs(result.stderr).filter((line) => line.forced);
    expect(forced).toHaveLength(1);
    expect(forced[0]?.accessKeyIdSuffix).toBe(world.imds.currentCredentials().accessKeyId.slice(-4));
    expect(world.imds.countCredentialFetches()).toBeLessThanOrEqual(1 + refused.length);

    assertImdsV2Only(world.imds);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);
});
