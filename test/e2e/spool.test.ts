import { appendFile, mkdir, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { logsMatching } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { BUCKET, baseArgs, linesInS3, runCli, waitFor, type World } from "../support/world.js";
import { expectSuccess, lastLine, numberedLines, readState, writeLines } from "./onceSupport.js";

/**
 * SPEC: `--state-dir` holds checkpoints and spool; "S3 outages, …,
 * truncation: every complete line arrives". A stop during an outage cancels
 * the uploads of batches already read: kept in the spool, they are sent at the
 * next start even when the file lost those bytes meanwhile.
 */
describe("the spool: batches a stop cancelled (e2e)", () => {
  const scenario = useScenario();

  /** Every line once, whatever source id (a truncated file starts a new one) it went under. */
  function expectEachLineOnce(world: World, written: readonly string[]): void {
    const stored = [...linesInS3(world).values()].flat();
    expect([...stored].sort()).toEqual([...written].sort());
    expect(world.s3.listObjects(BUCKET).filter(({ object }) => object.putCount !== 1).map(({ key }) => key)).toEqual([]);
  }

  async function spoolEntries(world: World): Promise<string[]> {
    return readdir(join(world.state, "spool")).catch(() => []);
  }

  /** The daemon stopped during an outage with 10 lines read, then their file deleted; S3 still refuses. */
  async function deletedAfterStopDuringOutage(): Promise<{ world: World; lines: string[] }> {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const lines = numberedLines("doomed", 10);
    await writeLines(path, []);
    await stopDuringOutage(world, path, lines);
    await rm(path);
    return { world, lines };
  }

  /** A `--once` run whose four uploads S3 holds, stopped past its --stop-timeout; S3 still hangs after. */
  async function stopOnceWithUploadsHanging(world: World): Promise<void> {
    world.s3.injectFault({ kind: "stall", forMs: 120_000 });
    const run = scenario.startDaemon([...baseArgs(world), "--once", "--batch-max-bytes", "4KiB", "--stop-timeout", "1"]);
    await waitFor(async () => ((await readState(world).catch(() => undefined))?.files[0]?.pending.length ?? 0) === 4, 15_000, "four intents recorded");
    expectSuccess(await run.stop("SIGTERM"));
  }

  /** A daemon that has read `lines` and holds them in uploads S3 keeps refusing, then stops. */
  async function stopDuringOutage(world: World, path: string, lines: readonly string[]): Promise<void> {
    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown" });
    const daemon = scenario.startDaemon([...baseArgs(world), "--flush-interval", "0.5", "--stop-timeout", "2"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await appendFile(path, lines.map((line) => `${line}\n`).join(""));
    await waitFor(async () => ((await readState(world).catch(() => undefined))?.files[0]?.pending.length ?? 0) > 0, 15_000, "an upload intent recorded");
    await waitFor(() => world.s3.requests.some((request) => request.status === 503), 15_000, "a refused upload");
    const stopped = await daemon.stop("SIGTERM");
    expect(stopped.code, stopped.stderr.slice(-2000)).toBe(0);
    // The stop said once that it cancelled them; no file is "failing" for it.
    expect(logsMatching(stopped.stderr, /stop timeout reached/)).toHaveLength(1);
    expect(logsMatching(stopped.stderr, /cannot ship this file for now/)).toEqual([]);
    expect(await spoolEntries(world)).not.toEqual([]);
  }

  it("the daemon stopped during an outage, the file truncated and written again: every line arrives once", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const before = numberedLines("before", 10);
    await writeLines(path, []);
    await stopDuringOutage(world, path, before);

    // What no file's BEHIND counts any more, status shows.
    expect((await runCli([...baseArgs(world), "status"])).stdout).toMatch(/^spool: [1-9]\d* batch\(es\), \d+ bytes, whose upload a stop cancelled; sent at the next start$/m);
    await truncate(path, 0);
    const after = numberedLines("after", 10);
    await writeLines(path, after);
    world.s3.clearFaults();
    const daemon = scenario.startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await waitFor(() => [...linesInS3(world).values()].flat().length >= 20, 20_000, "20 lines in S3");
    const result = await daemon.stop("SIGTERM");

    expect(result.code).toBe(0);
    expectEachLineOnce(world, [...before, ...after]);
    expect((await runCli([...baseArgs(world), "status"])).stdout).not.toContain("spool:");
    expect(logsMatching(result.stderr, /sent a batch the spool kept/).length).toBeGreaterThan(0);
    expect(await spoolEntries(world)).toEqual([]);
  });

  it("the daemon stopped during an outage, the file deleted: its read lines arrive, and nothing is said to be missing", async () => {
    const { world, lines } = await deletedAfterStopDuringOutage();

    world.s3.clearFaults();
    const daemon = scenario.startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await waitFor(() => [...linesInS3(world).values()].flat().length >= 10, 20_000, "10 lines in S3");
    const result = await daemon.stop("SIGTERM");

    expect(result.code).toBe(0);
    expectEachLineOnce(world, lines);
    expect(logsMatching(result.stderr, /may be missing/)).toEqual([]);
    expect(await spoolEntries(world)).toEqual([]);
  });

  it("--once stopped with its uploads hanging, the file then truncated: the next run sends them from the spool, exit 0", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const lines = numberedLines("app", 400);
    await writeLines(path, lines);
    await stopOnceWithUploadsHanging(world);
    const recorded = (await readState(world)).files[0]?.pending ?? [];
    expect((await spoolEntries(world)).filter((name) => name.endsWith(".json"))).toHaveLength(recorded.length);

    // The four batches' bytes are gone; the rest of the file was never read.
    await truncate(path, 0);
    world.s3.clearFaults();
    const next = await runCli([...baseArgs(world), "--once"]);

    expectSuccess(next);
    const sent = world.s3.listObjects(BUCKET).map(({ key }) => key);
    expect(sent.sort()).toEqual(recorded.map((intent) => intent.key).sort());
    const shipped = [...linesInS3(world).values()].flat();
    expect(shipped).toEqual(lines.slice(0, shipped.length));
    expect(await spoolEntries(world)).toEqual([]);
  });

  it("--once stopped with its uploads hanging, the file intact: the next run replays them from the spool, then ships the rest", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const lines = numberedLines("app", 400);
    await writeLines(path, lines);
    await stopOnceWithUploadsHanging(world);

    world.s3.clearFaults();
    const next = await runCli([...baseArgs(world), "--once"]);

    expectSuccess(next);
    expect(logsMatching(next.stderr, /from the spool/)).toHaveLength(4);
    expectEachLineOnce(world, lines);
    expect([...linesInS3(world).values()].flat()).toEqual(lines);
    expect(await spoolEntries(world)).toEqual([]);
  });

  it("a daemon whose start sends the spool while S3 is still down stops at SIGTERM at once, and keeps the spool", async () => {
    const { world, lines } = await deletedAfterStopDuringOutage();
    const held = await spoolEntries(world);

    // S3 still refuses: the spool's upload retries for ever, and must not hold the stop.
    const daemon = scenario.startDaemon([...baseArgs(world), "--flush-interval", "0.5", "--stop-timeout", "2"]);
    await daemon.waitForLog(/"msg":"watching"/);
    const refusedBefore = world.s3.requests.filter((request) => request.status === 503).length;
    await waitFor(() => world.s3.requests.filter((request) => request.status === 503).length > refusedBefore, 15_000, "the spooled batch refused");
    const signalledAt = Date.now();
    const result = await daemon.stop("SIGTERM");

    expect(result.code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(await spoolEntries(world)).toEqual(held);
    world.s3.clearFaults();
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    expectEachLineOnce(world, lines);
  });

  it("a spooled batch found damaged once its file lost the lines: --once says they are lost, exit 1", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    await writeLines(path, numberedLines("app", 400));
    await stopOnceWithUploadsHanging(world);
    await truncate(path, 0);
    // Bit rot: the same length, other bytes.
    const body = join(world.state, "spool", (await spoolEntries(world)).find((name) => name.endsWith(".body")) ?? "");
    const bytes = await readFile(body);
    await writeFile(body, Buffer.alloc(bytes.length, 0x41));
    world.s3.clearFaults();

    const next = await runCli([...baseArgs(world), "--once"]);

    expect(next.code).toBe(1);
    expect(lastLine(next.stderr)).toMatch(/^ship-logs: could not ship everything: a batch kept in the spool \(.+\) was damaged; the lines it held are lost$/);
    expect(world.s3.listObjects(BUCKET)).toHaveLength(3);
  });

  it("a spooled batch whose body cannot be read now is replayed from its intact file, once, and leaves the spool", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const lines = numberedLines("app", 400);
    await writeLines(path, lines);
    await stopOnceWithUploadsHanging(world);
    const body = join(world.state, "spool", (await spoolEntries(world)).find((name) => name.endsWith(".body")) ?? "");
    await rm(body);
    await mkdir(body);
    world.s3.clearFaults();

    const next = await runCli([...baseArgs(world), "--once"]);

    expectSuccess(next);
    expect(logsMatching(next.stderr, /cannot read a spooled batch now; replaying it from the file/)).toHaveLength(1);
    expectEachLineOnce(world, lines);
    await rm(body, { recursive: true });
    expect(await spoolEntries(world)).toEqual([]);
  });
});
