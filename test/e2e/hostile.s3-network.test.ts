import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { LineWriter } from "../support/LineWriter.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, runCli, startDaemon, startWorld, waitFor, type DaemonProcess, type World } from "../support/world.js";
import { sleep } from "./hostileSupport.js";

/**
 * Issue 7, case 1: the connection to S3 breaks mid-upload (reset: research anchors
 * §2 #5, where a peer dropped records on "Broken pipe"), or S3 accepts the request and
 * then says nothing for longer than --request-timeout. Both are transport failures:
 * always retried, never a reason to drop or duplicate a batch.
 */
describe("hostile world: S3 connection resets and stalls (e2e, real CLI, issue 7)", () => {
  let world: World | undefined;
  let daemon: DaemonProcess | undefined;
  let writer: LineWriter | undefined;

  afterEach(async () => {
    writer?.stop();
    await daemon?.stop("SIGKILL");
    await world?.close();
    world = daemon = writer = undefined;
  });

  it("connection reset mid-upload: retried, nothing lost, nothing twice", async () => {
    world = await startWorld();
    writer = new LineWriter(join(world.logs, "app.log"), "reset");
    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await daemon.waitForLog(/"msg":"watching"/);
    world.s3.injectFault({ kind: "reset", times: 8 });
    writer.start(50);
    await sleep(4_000);
    writer.stop();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 30_000);
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expect(world.s3.rejected("InjectedReset")).toHaveLength(8);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);

  it("--once against a peer that always hangs up: exit 1 naming ECONNRESET (not the SDK's 'TimeoutError')", async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "app.log"), "one\n");
    world.s3.injectFault({ kind: "reset" });
    const result = await runCli(["--once", ...baseArgs(world)]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.trimEnd().split("\n").at(-1)).toMatch(
      /^ship-logs: could not ship everything: \S+app\.log: upload of s3:\/\/test-logs\/\S+ failed: ECONNRESET$/,
    );
  }, 60_000);

  it("a response stalled past --request-timeout 2: abandoned after ~2 s, retried, nothing lost", async () => {
    world = await startWorld();
    writer = new LineWriter(join(world.logs, "app.log"), "stall");
    writer.write();
    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.5", "--request-timeout", "2"]);
    await waitForLinesInS3(world, "app.log", 1, 15_000);
    world.s3.injectFault({ kind: "stall", forMs: 5_000, times: 2 });
    const stalledAt = Date.now();
    writer.write();
    writer.write();
    // Without the idle timeout the upload would wait the whole 5 s stall (and, against
    // a server that never answers, forever); with it, both stalled attempts are
    // abandoned at ~2 s and the third attempt stores the batch.
    await waitForLinesInS3(world, "app.log", writer.lines.length, 15_000);
    const took = Date.now() - stalledAt;
    expect(took).toBeGreaterThan(3_500);
    expect(took).toBeLessThan(9_000);
    // The fake logs a stalled request when its stall ends: dropped, unprocessed, as the client left.
    await waitFor(() => world!.s3.rejected("ClientDisconnected").length === 2, 10_000, "both stalled requests to be dropped");
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);
});
