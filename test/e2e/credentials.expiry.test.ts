import { describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { refreshedLogs, sleepUntil } from "../support/credentialLogs.js";
import { LEVEL, logRecords, logsMatching } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { freePort } from "../support/freePort.js";
import { parsePrometheusText, sampleValue } from "../support/prometheusText.js";
import { checkpointOffset, expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { startShipping } from "../support/startShipping.js";
import { baseArgs, runCli, waitFor } from "../support/world.js";

/**
 * Issue 4, step 4: IMDS is down from before the refresh window until well past the expiry.
 * 12 s credentials (refresh window: the last 3 s); IMDS answers 500 from 6 s before the expiry
 * until 8 s after it.
 */
describe("credentials: IMDS outage past expiry (e2e, real CLI)", () => {
  const scenario = useScenario();

  it("pauses uploads without dropping anything or moving the checkpoint, says why once, resumes by itself within seconds", async () => {
    const world = await scenario.startWorld({ imds: { credentialLifetimeSeconds: 12 } });
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const { log, writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5", "--log-level", "debug", "--metrics-listen", metricsAddress]);
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
    // Without credentials no request reaches S3: none is an S3 upload error or
    // a retry (the PromQL of docs/cost.md bills them), and uploads are not
    // "failing"; the credentials' own series and /readyz say what is wrong.
    const samples = parsePrometheusText(await (await fetch(`http://${metricsAddress}/metrics`)).text());
    // (An upload signed just before the expiry may reach S3 after it: that ExpiredToken was a real request.)
    const errors = samples.filter((sample) => sample.name === "ship_logs_upload_errors_total");
    expect(errors.map((sample) => sample.labels["code"])).not.toContain("CredentialsUnavailableError");
    const refusedByS3 = world.s3.requests.filter((request) => request.status !== 200).length;
    expect(errors.reduce((sum, sample) => sum + sample.value, 0), "upload errors counted vs refusals S3 sent").toBeLessThanOrEqual(refusedByS3);
    expect(sampleValue(samples, "ship_logs_upload_retries_total"), "retries counted vs refusals S3 sent").toBeLessThanOrEqual(refusedByS3);
    expect(sampleValue(samples, "ship_logs_credentials_expiry_seconds")).toBeLessThan(0);
    expect(sampleValue(samples, "ship_logs_imds_errors_total")).toBeGreaterThan(0);
    const readyz = await fetch(`http://${metricsAddress}/readyz`);
    expect([readyz.status, await readyz.text()]).toEqual([503, "not ready: no valid credentials\n"]);
    const status = await runCli(["status", ...baseArgs(world)]);
    expect(status.stdout).toMatch(/^daemon: running \(pid \d+\), .*credentials expired and cannot be renewed now: uploads wait until new ones can be fetched\n/);
    expect(status.stdout).not.toContain("uploads failing");
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
