import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { refreshedLogs } from "../support/credentialLogs.js";
import { LineWriter } from "../support/LineWriter.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { BUCKET, baseArgs, startDaemon, startWorld, type DaemonProcess, type World } from "../support/world.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 4, step 5: the keys are revoked mid-run, long before their expiry (six-hour credentials).
 * fake-imds publishes new ones at once; the test S3 answers InvalidAccessKeyId for the old key.
 */
describe("credentials: forced refresh after S3 refuses the keys (e2e, real CLI)", () => {
  let world: World | undefined;
  let daemon: DaemonProcess | undefined;
  let writer: LineWriter | undefined;

  afterEach(async () => {
    writer?.stop();
    await daemon?.stop("SIGKILL");
    await world?.close();
    world = undefined;
    daemon = undefined;
    writer = undefined;
  });

  it("InvalidAccessKeyId: fetches new keys at once and resends the same batch under the same key; every line once", async () => {
    world = await startWorld();
    writer = new LineWriter(join(world.logs, "app.log"));
    writer.start(100);
    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.5", "--log-level", "trace"]);
    await daemon.waitForLog(/"msg":"watching"/);
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
