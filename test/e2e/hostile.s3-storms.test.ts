import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { LineWriter } from "../support/LineWriter.js";
import { logsMatching } from "../support/logRecords.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, startDaemon, startWorld, type DaemonProcess, type World } from "../support/world.js";
import { sleep } from "./hostileSupport.js";

/**
 * Issue 7, case 1: S3 answers every PutObject with 503 SlowDown, then with 500
 * InternalError, for a while, as during a partition hot spot or an S3 event
 * (research anchors §2 #5, #6: peers dropped batches or retried within one second).
 * Lines keep being written throughout. The daemon must back off (capped, jittered),
 * say so in one line per failure streak and once when it recovers, and deliver
 * every line exactly once after the storm.
 */
describe("hostile world: S3 error storms (e2e, real CLI, issue 7)", () => {
  let world: World | undefined;
  let daemon: DaemonProcess | undefined;
  let writer: LineWriter | undefined;

  afterEach(async () => {
    writer?.stop();
    await daemon?.stop("SIGKILL");
    await world?.close();
    world = daemon = writer = undefined;
  });

  it.each([
    { status: 503, code: "SlowDown", forMs: 20_000 },
    { status: 500, code: "InternalError", forMs: 15_000 },
  ])("$status $code for $forMs ms: backs off, one line per streak, recovers, nothing lost", async ({ status, code, forMs }) => {
    world = await startWorld();
    writer = new LineWriter(join(world.logs, "app.log"), "storm");
    writer.write();
    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await waitForLinesInS3(world, "app.log", 1, 15_000);

    const stormStart = Date.now();
    world.s3.injectFault({ kind: "error", status, code, forMs });
    writer.start(50);
    await sleep(forMs + 2_000);
    writer.stop();
    const storm = world.s3.rejected(code);
    // Full jitter from 1 s doubling to a 60 s cap: a tight loop would send
    // thousands of requests in the storm; the backoff sends a few per upload slot.
    expect(storm.length).toBeGreaterThan(0);
    expect(storm.length).toBeLessThan(120);
    // ...and its waits grow: the second half of the storm sees fewer attempts than the first.
    const half = stormStart + forMs / 2;
    const firstHalf = storm.filter((r) => r.at.getTime() < half).length;
    expect(storm.length - firstHalf).toBeLessThan(firstHalf);

    // After the storm the next attempt comes within one backoff step (≤ 16 s here).
    await waitForLinesInS3(world, "app.log", writer.lines.length, 40_000);
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expectShippedExactlyOnce(world, "app.log", writer.lines);

    const failedLines = logsMatching(result.stderr, /failed/);
    expect(failedLines.map((r) => r.msg)).toEqual([
      expect.stringMatching(new RegExp(`^upload of s3://test-logs/\\S+app\\.log/\\S+ failed: ${code} \\(HTTP ${status}\\)$`)),
    ]);
    expect(failedLines[0]).toMatchObject({ level: 50, bucket: "test-logs", code, status });
    const recovered = logsMatching(result.stderr, /^uploads succeed again$/);
    expect(recovered).toHaveLength(1);
    // The streak runs from the first failure the daemon saw (its "failed" line)
    // to its first success, which comes after the storm: at least the storm's
    // rest after that line. Not after S3's first refusal: the SDK retries a
    // refused request itself (up to 3 attempts, with backoff) before the
    // daemon sees it fail.
    const failedAt = Date.parse(failedLines[0]?.time ?? "");
    expect(failedAt).not.toBeNaN();
    expect(recovered[0]?.["seconds"]).toBeGreaterThanOrEqual(Math.floor((stormStart + forMs - failedAt) / 1000) - 1);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 90_000);
});
