import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { LEVEL, logRecords } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { startShipping } from "../support/startShipping.js";

const SKEW_MS = 20 * 60_000;

/**
 * Issue 4, step 6: the host clock is 20 minutes behind S3's (S3 refuses signatures more than
 * 15 minutes off). What happens: the first upload is refused with RequestTimeTooSkewed; the SDK
 * takes S3's clock from that answer's Date header (systemClockOffset), retries at once with a
 * corrected signature, and signs every later request with the offset. The shipper itself sees
 * no error, and nothing is lost or doubled.
 */
describe("credentials: clock skew (e2e, real CLI)", () => {
  const scenario = useScenario();

  it("S3 20 min ahead: the SDK corrects its clock after the first RequestTimeTooSkewed, then every upload succeeds", async () => {
    const world = await scenario.startWorld({ s3: { now: () => Date.now() + SKEW_MS } });
    const { writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5", "--log-level", "debug"]);
    await sleep(5_000);
    writer.stop();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 15_000);
    const result = await daemon.stop("SIGTERM");

    expect(result.code).toBe(0);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
    // Only the uploads signed before the first skew answer came back were refused (up to the 4 in flight).
    const skewed = world.s3.rejected("RequestTimeTooSkewed");
    expect(skewed.length).toBeGreaterThanOrEqual(1);
    expect(skewed.length).toBeLessThanOrEqual(4);
    expect(world.s3.rejected().length).toBe(skewed.length);
    const lastRefusal = Math.max(...skewed.map((request) => request.at.getTime()));
    const okAfter = world.s3.requests.filter((request) => request.status === 200 && request.at.getTime() > lastRefusal);
    expect(okAfter.length).toBeGreaterThan(5);
    // The SDK retried inside one send: the shipper never saw a failed upload.
    expect(logRecords(result.stderr).filter((record) => record.level >= LEVEL.warn).map((record) => record.msg)).toEqual([]);

    assertImdsV2Only(world.imds);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);

  /*
   * The host's clock 20 minutes fast. IMDS hands out keys that, by AWS's clock, live 20 min 15 s,
   * and rotates them 5 minutes before they expire. By the host's clock they expire after 15 s:
   * judged by that clock, the cache would stop using them there and wait a quarter of an hour for
   * IMDS to rotate, while S3 still accepts them. It judges expiry by the clock the SDK corrected.
   */
  it("host 20 min fast: keys that S3 still accepts keep being used past the host's idea of their expiry", async () => {
    const awsNow = (): number => Date.now() - SKEW_MS;
    const world = await scenario.startWorld({
      s3: { now: awsNow },
      imds: { now: awsNow, credentialLifetimeSeconds: SKEW_MS / 1000 + 15, rotateBeforeSeconds: 300 },
    });
    const { writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5"]);
    await sleep(25_000);
    writer.stop();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 10_000);
    const result = await daemon.stop("SIGTERM");

    expect(result.code).toBe(0);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
    expect(world.imds.issuedCredentials()).toHaveLength(1);
    expect(logRecords(result.stderr).filter((record) => record.level >= LEVEL.error).map((record) => record.msg)).toEqual([]);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);
});
