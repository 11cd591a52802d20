import { describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { refreshedLogs, sleepUntil } from "../support/credentialLogs.js";
import { LEVEL, logRecords, logsMatching } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { checkpointOffset, expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { startShipping } from "../support/startShipping.js";
import { waitFor } from "../support/world.js";

/**
 * Issue 4, step 4: IMDS is down from before the refresh window until well past the expiry.
 * 12 s credentials (refresh window: the last 3 s); IMDS answers 500 from 6 s before the expiry
 * until 8 s after it.
 */
describe("credentials: IMDS outage past expiry (e2e, real CLI)", () => {
  const scenario = useScenario();

  it("pauses uploads without dropping anything or moving the checkpoint, says why once, resumes by itself within seconds", async () => {
    const world = await scenario.startWorld({ imds: { credentialLifetimeSeconds: 12 } });
    const { log, writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5", "--log-level", "debug"]);
    const first = refreshedLogs(daemon.stderr())[0];
    if (first === undefined) throw new Error("no \"credentials refreshed\" line at start");
    const expiresAt = Date.parse(first.expiration);

    await sleepUntil(expiresAt - 6_000);
    world.imds.failWith(500);
    // Uploads signed just before the expiry have had time to land; from now on nothing may move.
    await sleepUntil(expiresAt + 1_000);
    const pausedAt = await checkpointOffset(world, log);
    const linesAtPause = writer.lines.length;
    await sleepUntil(expiresAt + 8_000);
    expect(await checkpointOffset(world, log), "checkpoint while the credentials are expired").toBe(pausedAt);
    expect(writer.lines.length, "the application kept writing").toBeGreaterThan(linesAtPause + 50);
    const putsWhileExpired = world.s3.requests.filter((request) => request.operation === "PutObject" && request.at.getTime() >= expiresAt + 1_000);
    expect(putsWhileExpired, "no upload signed with expired keys").toEqual([]);
    expect(logsMatching(daemon.stderr(), /credentials expired/)).toHaveLength(1);

    const back = Date.now();
    await world.imds.clearFaults();
    await waitFor(
      () => world.s3.requests.some((request) => request.operation === "PutObject" && request.status === 200 && request.at.getTime() > back),
      15_000,
      "an upload after IMDS came back",
    );
    // Within seconds: the cache retries at least every 5 s once expired, uploads check back every 2 s.
    expect(Date.now() - back, "ms from IMDS back to the first upload").toBeLessThan(8_000);
    writer.stop();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 20_000);
    const result = await daemon.stop("SIGTERM");

    expect(result.code).toBe(0);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
    // One error line says why uploads stopped, naming the cause; nothing else about uploads at error level.
    const expired = logsMatching(result.stderr, /credentials expired/);
    expect(expired).toHaveLength(1);
    expect(expired[0]?.level).toBe(LEVEL.error);
    expect(expired[0]?.msg).toMatch(/^credentials expired; uploads wait/);
    expect(String(expired[0]?.["reason"])).toMatch(/HTTP 500|IMDS/);
    const otherErrors = logRecords(result.stderr).filter(
      (record) => record.level >= LEVEL.error && !/^credentials (expired|refresh failed)/.test(record.msg),
    );
    expect(otherErrors.map((record) => record.msg)).toEqual([]);
    expect(logsMatching(result.stderr, /credentials refresh failed/)).toHaveLength(1);
    expect(logsMatching(result.stderr, /^uploads succeed again$/)).toHaveLength(1);

    assertImdsV2Only(world.imds);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 90_000);
});
