import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { LEVEL, logRecords } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { startShipping } from "../support/startShipping.js";
import { BUCKET, baseArgs, runCli } from "../support/world.js";
import { expectSuccess, numberedLines, writeLines } from "./onceSupport.js";

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

  /** S3 and IMDS on AWS's clock, SKEW_MS behind the host's; IMDS hands out keys with `keysLeftS` of life by it. */
  function fastHostWorld(keysLeftS: number) {
    const awsNow = (): number => Date.now() - SKEW_MS;
    return scenario.startWorld({
      s3: { now: awsNow },
      imds: { now: awsNow, credentialLifetimeSeconds: keysLeftS, rotateBeforeSeconds: 300 },
    });
  }

  /*
   * The host's clock 20 minutes fast. IMDS hands out keys that, by AWS's clock, live 20 min 15 s,
   * and rotates them 5 minutes before they expire. By the host's clock they expire after 15 s:
   * judged by that clock, the cache would stop using them there and wait a quarter of an hour for
   * IMDS to rotate, while S3 still accepts them. It judges expiry by the clock the SDK corrected.
   */
  it("host 20 min fast: keys that S3 still accepts keep being used past the host's idea of their expiry", async () => {
    const world = await fastHostWorld(SKEW_MS / 1000 + 15);
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

  /*
   * The host's clock 20 minutes fast, and keys with 18 minutes left by AWS's clock: by the host's
   * they expired 2 minutes ago. (Real life: 8 h fast with 6 h keys.) Refused by that clock, no
   * request would ever go out, the SDK would never learn S3's clock, and nothing would ship, with a
   * message blaming the instance profile. Keys just handed out that look expired are used for a
   * while instead, with one warning naming the clock; the first answer (RequestTimeTooSkewed,
   * then 200 on the SDK's corrected retry) gives the SDK S3's clock, which then judges them.
   */
  const KEYS_LEFT_S = 18 * 60;
  const CLOCK_WARNING = /^the credentials expire at \S+, 2 min \d+ s before this host's clock says it is now: is the host's clock ahead \(chrony\/NTP\)\? using them; S3's answers correct the clock$/;


  it("host ahead by more than the keys' remaining life (daemon): the keys are used, lines arrive, one warning names the clock", async () => {
    const world = await fastHostWorld(KEYS_LEFT_S);
    const { writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5"]);
    await sleep(5_000);
    writer.stop();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 15_000);
    const result = await daemon.stop("SIGTERM");

    expect(result.code).toBe(0);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
    const warnings = logRecords(result.stderr).filter((record) => record.level >= LEVEL.warn);
    expect(warnings.map((record) => record.msg)).toEqual([expect.stringMatching(CLOCK_WARNING)]);
    // Only the uploads signed before S3's first answer met the skew (up to the 4 in flight).
    expect(world.s3.rejected().length).toBe(world.s3.rejected("RequestTimeTooSkewed").length);
    expect(world.s3.rejected().length).toBeLessThanOrEqual(4);
    expect(world.imds.issuedCredentials()).toHaveLength(1);
    assertImdsV2Only(world.imds);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);

  it("host ahead by more than the keys' remaining life (--once): exit 0, every line shipped, one warning names the clock", async () => {
    const world = await fastHostWorld(KEYS_LEFT_S);
    const lines = numberedLines("app", 500);
    await writeLines(join(world.logs, "app.log"), lines);

    const run = await runCli([...baseArgs(world), "--once", "--log-level", "trace"]);

    expectSuccess(run);
    expectShippedExactlyOnce(world, "app.log", lines);
    expect(world.s3.listObjects(BUCKET).length).toBeGreaterThan(0);
    const warnings = logRecords(run.stderr).filter((record) => record.level >= LEVEL.warn);
    expect(warnings.map((record) => record.msg)).toEqual([expect.stringMatching(CLOCK_WARNING)]);
    await assertNoSecretLeaks(world, [run.stdout, run.stderr]);
  }, 60_000);
});
