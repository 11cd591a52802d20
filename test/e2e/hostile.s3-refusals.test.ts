import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { LineWriter } from "../support/LineWriter.js";
import { logRecords, logsMatching } from "../support/logRecords.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, runCli, startDaemon, startWorld, waitFor, type DaemonProcess, type World } from "../support/world.js";
import { sleep } from "./hostileSupport.js";

const MISSING_BUCKET = "no-such-bucket-here";

/** baseArgs with another bucket (a flag may not be given twice). */
function argsForBucket(world: World, bucket: string): string[] {
  const args = baseArgs(world);
  args[args.indexOf("--bucket") + 1] = bucket;
  return args;
}

function linesInBucket(world: World, bucket: string): string[] {
  return world.s3
    .listObjects(bucket)
    .flatMap(({ object }) => gunzipSync(object.body).toString("utf8").replace(/\n$/, "").split("\n"));
}

/**
 * Issue 7, case 1: S3 refuses for reasons only an operator can fix — the role lacks
 * s3:PutObject (403 AccessDenied), the bucket does not exist (404 NoSuchBucket) — or
 * keeps failing. The daemon says so in ONE line that names what to fix, keeps every
 * line, and ships once the operator has acted; --once gives up and exits 1.
 */
describe("hostile world: S3 refuses (e2e, real CLI, issue 7)", () => {
  let world: World | undefined;
  let daemon: DaemonProcess | undefined;
  let writer: LineWriter | undefined;

  afterEach(async () => {
    writer?.stop();
    await daemon?.stop("SIGKILL");
    await world?.close();
    world = daemon = writer = undefined;
  });

  it("403 AccessDenied: one line naming bucket, key and s3:PutObject; everything ships once the policy is fixed", async () => {
    world = await startWorld();
    writer = new LineWriter(join(world.logs, "app.log"), "denied");
    writer.write();
    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await waitForLinesInS3(world, "app.log", 1, 15_000);

    world.s3.injectFault({ kind: "deny" });
    writer.start(100);
    await sleep(8_000);
    writer.stop();
    expect(world.s3.rejected("AccessDenied").length).toBeGreaterThan(2);
    world.s3.clearFaults();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 30_000);
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expectShippedExactlyOnce(world, "app.log", writer.lines);

    // Every line of the log (any level) that speaks of the refusal: exactly one.
    const about = logRecords(result.stderr).filter((r) => /denied|AccessDenied|PutObject/i.test(JSON.stringify(r)));
    expect(about).toHaveLength(1);
    expect(about[0]).toMatchObject({ level: 50, bucket: "test-logs", code: "AccessDenied", status: 403 });
    expect(about[0]?.msg).toMatch(
      /^S3 denied PutObject on s3:\/\/test-logs\/\S+app\.log\/\S+\.log\.gz \(HTTP 403\): the instance role needs s3:PutObject on arn:aws:s3:::test-logs\/\*$/,
    );
    expect(logsMatching(result.stderr, /^uploads succeed again$/)).toHaveLength(1);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);

  it("NoSuchBucket: the daemon says the bucket does not exist, once, and ships when it is created", async () => {
    world = await startWorld();
    writer = new LineWriter(join(world.logs, "app.log"), "nobucket");
    writer.start(200);
    daemon = startDaemon([...argsForBucket(world, MISSING_BUCKET), "--flush-interval", "0.5"]);
    await daemon.waitForLog(/does not exist/);
    await sleep(4_000);
    writer.stop();
    world.s3.createBucket(MISSING_BUCKET);
    const s3 = world.s3;
    const expected = writer.lines;
    await waitFor(() => linesInBucket(world!, MISSING_BUCKET).length >= expected.length, 30_000, "lines in the new bucket");
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expect(linesInBucket(world, MISSING_BUCKET)).toEqual(expected);
    expect(s3.listObjects(MISSING_BUCKET).filter(({ object }) => object.putCount !== 1)).toEqual([]);
    expect(logsMatching(result.stderr, /NoSuchBucket|does not exist/).map((r) => r.msg)).toEqual([
      `bucket ${MISSING_BUCKET} does not exist (HTTP 404)`,
    ]);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);

  it("--once: NoSuchBucket and AccessDenied end at once with exit 1 and the reason", async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "app.log"), "one\ntwo\n");

    const missing = await runCli(["--once", ...argsForBucket(world, MISSING_BUCKET)]);
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stdout).toMatch(/^ship-logs: shipped files=1 lines=0 .* failures=1\n$/);
    expect(missing.stderr.trimEnd().split("\n").at(-1)).toBe(
      `ship-logs: could not ship everything: ${join(world.logs, "app.log")}: NoSuchBucket: bucket ${MISSING_BUCKET} does not exist (HTTP 404)`,
    );

    world.s3.injectFault({ kind: "deny" });
    const denied = await runCli(["--once", ...baseArgs(world)]);
    expect(denied.code, denied.stderr).toBe(1);
    expect(denied.stderr.trimEnd().split("\n").at(-1)).toMatch(
      /^ship-logs: could not ship everything: \S+app\.log: AccessDenied: S3 denied PutObject on s3:\/\/test-logs\/\S+ \(HTTP 403\): the instance role needs s3:PutObject on arn:aws:s3:::test-logs\/\*$/,
    );
    // Permanent errors are not retried by --once: one PutObject each run.
    expect(world.s3.rejected("AccessDenied")).toHaveLength(1);

    // Fixed: the next run ships everything, under the keys the failed run recorded.
    world.s3.clearFaults();
    const fixed = await runCli(["--once", ...baseArgs(world)]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expectShippedExactlyOnce(world, "app.log", ["one", "two"]);
    await assertNoSecretLeaks(world, [missing.stderr, denied.stderr, fixed.stderr]);
  }, 60_000);

  it("a 200 without an ETag (a captive portal's page at a plain-HTTP endpoint) is no acknowledgement: exit 1, and a later run ships", async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "app.log"), "alpha\nbeta\n");
    const portal = createServer((request, response) => {
      request.resume();
      request.on("end", () => response.writeHead(200, { "content-type": "text/html" }).end("<html>Please log in</html>"));
    });
    await new Promise<void>((resolve) => portal.listen(0, "127.0.0.1", resolve));
    try {
      const args = baseArgs(world);
      args[args.indexOf("--endpoint") + 1] = `http://127.0.0.1:${(portal.address() as AddressInfo).port}`;
      const failed = await runCli(["--once", ...args]);
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr.trimEnd().split("\n").at(-1)).toMatch(
        /^ship-logs: could not ship everything: \S+app\.log: MissingETag: upload of s3:\/\/test-logs\/\S+ failed: the answer had no ETag, which S3 always sends: is something else .* answering at the endpoint\?$/,
      );
    } finally {
      portal.closeAllConnections();
      await new Promise((resolve) => portal.close(resolve));
    }
    const again = await runCli(["--once", ...baseArgs(world)]);
    expect(again.code, again.stderr).toBe(0);
    expectShippedExactlyOnce(world, "app.log", ["alpha", "beta"]);
  }, 90_000);

  it("--once against a 503 that does not end: gives up after ~6 attempts, exit 1; a later run ships", async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "app.log"), "alpha\nbeta\n");
    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown" });
    const started = Date.now();
    const failed = await runCli(["--once", ...baseArgs(world)]);
    const took = Date.now() - started;
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr.trimEnd().split("\n").at(-1)).toMatch(
      /^ship-logs: could not ship everything: \S+app\.log: upload of s3:\/\/test-logs\/\S+ failed: SlowDown \(HTTP 503\)$/,
    );
    // Six sink attempts (each the SDK's up to 3 tries), with backoff between them: not a tight loop, not forever.
    const attempts = world.s3.rejected("SlowDown").length;
    expect(attempts).toBeGreaterThanOrEqual(6);
    expect(attempts).toBeLessThanOrEqual(18);
    expect(took).toBeGreaterThan(5_000);
    expect(took).toBeLessThan(45_000);

    world.s3.clearFaults();
    const again = await runCli(["--once", ...baseArgs(world)]);
    expect(again.code, again.stderr).toBe(0);
    expectShippedExactlyOnce(world, "app.log", ["alpha", "beta"]);
  }, 90_000);
});
