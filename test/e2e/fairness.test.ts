import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { logsMatching } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { baseArgs, linesInS3, runCli, waitFor, type World } from "../support/world.js";

/*
 * One file catching up on a backlog, quiet files beside it (SPEC: --flush-interval
 * is the "longest a line waits before its batch is uploaded"; a termination
 * notice uploads "everything pending at once"; SIGTERM uploads what is pending
 * and exits within --stop-timeout). The fake S3 takes 1 MiB/s (an instance's
 * bandwidth), uncompressed batches of 512 KiB: a 40 MiB backlog takes 40 s to
 * go up, four uploads at a time, each about 2 s. A daemon that let
 * the backlog's poll hold its pass kept the quiet files' lines for the whole
 * catch-up, and its stop read the backlog until the stop timeout.
 */

const MiB = 1024 * 1024;
const CAPPED = { s3: { maxBytesPerSecond: MiB } };
const BATCHES = ["--compression", "none", "--batch-max-bytes", String(MiB / 2)];

/** `mib` MiB of numbered 100-byte lines; how many. */
async function writeBacklog(path: string, mib: number): Promise<number> {
  const lines: string[] = [];
  for (let i = 0; lines.length * 100 < mib * MiB; i += 1) lines.push(`big ${String(i).padStart(9, "0")} ${"x".repeat(85)}`);
  await writeFile(path, `${lines.join("\n")}\n`);
  return lines.length;
}

function quietFiles(world: World, count: number): string[] {
  return Array.from({ length: count }, (_, i) => join(world.logs, `quiet${i}.log`));
}

/** Lines of each quiet file in S3 (empty when none). */
function quietInS3(world: World, paths: readonly string[]): string[][] {
  const stored = linesInS3(world);
  return paths.map((path) => stored.get(path.slice(path.lastIndexOf("/") + 1)) ?? []);
}

function bigPuts(world: World): number {
  return world.s3.requests.filter((request) => request.operation === "PutObject" && request.key?.includes("/big.log/") === true).length;
}

describe("a file catching up does not hold the others (e2e, S3 at 1 MiB/s)", () => {
  const scenario = useScenario();

  it("a quiet file's line goes up within a few --flush-interval while another file catches up", async () => {
    const world = await scenario.startWorld(CAPPED);
    // big.log first: the files are polled in the order they were found.
    await writeFile(join(world.logs, "big.log"), "");
    const quiet = quietFiles(world, 5);
    for (const path of quiet) await writeFile(path, "");
    const daemon = scenario.startDaemon([...baseArgs(world), ...BATCHES, "--flush-interval", "2"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await writeBacklog(join(world.logs, "big.log"), 40);
    // Well into the catch-up: every upload slot is taken by the backlog.
    await waitFor(() => bigPuts(world) >= 4, 20_000, "the backlog's first uploads");
    const written = Date.now();
    for (const [i, path] of quiet.entries()) await appendFile(path, `quiet line ${i}\n`);
    // Before the fix: not before the backlog was read to its end (~35 s later).
    await waitFor(() => quietInS3(world, quiet).every((lines) => lines.length === 1), 12_000, "every quiet line in S3");
    const waited = Date.now() - written;
    // 2 s, then the next slot: a backlog's upload (2 s) to finish.
    expect(waited, "a quiet line waits the flush interval and about one upload").toBeLessThan(6_000);
    expect(quietInS3(world, quiet)).toEqual(quiet.map((_, i) => [`quiet line ${i}`]));
    expect(bigPuts(world), "the backlog is still catching up").toBeLessThan(70);
  }, 60_000);

  it("a spot notice during a catch-up ships the other files' pending lines at once, not after the backlog", async () => {
    const world = await scenario.startWorld(CAPPED);
    // big.log first: the files are polled in the order they were found.
    await writeFile(join(world.logs, "big.log"), "");
    const quiet = quietFiles(world, 5);
    for (const path of quiet) await writeFile(path, "");
    const daemon = scenario.startDaemon([...baseArgs(world), ...BATCHES, "--flush-interval", "300"]);
    await daemon.waitForLog(/"msg":"watching"/);
    for (const [i, path] of quiet.entries()) await appendFile(path, `quiet line ${i}\n`);
    await writeBacklog(join(world.logs, "big.log"), 40);
    await waitFor(() => bigPuts(world) >= 4, 20_000, "the backlog's first uploads");
    await sleep(1_000);
    expect(quietInS3(world, quiet).flat(), "nothing quiet before the notice (flush interval 300 s)").toEqual([]);
    const raised = Date.now();
    world.imds.raiseSpotInterruption("terminate");
    // The watcher polls IMDS every 5 s; then a slot or two. Before the fix: after the backlog (~35 s).
    await waitFor(() => quietInS3(world, quiet).every((lines) => lines.length === 1), 15_000, "every quiet line in S3 after the notice");
    expect(Date.now() - raised).toBeLessThan(10_000);
    expect(logsMatching(daemon.stderr(), /^instance is going away$/)).toHaveLength(1);
    expect(bigPuts(world), "the backlog is still catching up").toBeLessThan(70);
  }, 60_000);

  it("SIGTERM during a catch-up ships the quiet files' lines first, exits within --stop-timeout, and the next run ships the rest once", async () => {
    const world = await scenario.startWorld(CAPPED);
    // big.log first: the files are polled in the order they were found.
    await writeFile(join(world.logs, "big.log"), "");
    const quiet = quietFiles(world, 5);
    for (const path of quiet) await writeFile(path, "");
    const stopTimeoutS = 10;
    const daemon = scenario.startDaemon([...baseArgs(world), ...BATCHES, "--flush-interval", "300", "--stop-timeout", String(stopTimeoutS)]);
    await daemon.waitForLog(/"msg":"watching"/);
    const bigLines = await writeBacklog(join(world.logs, "big.log"), 16);
    await waitFor(() => bigPuts(world) >= 4, 20_000, "the backlog's first uploads");
    const quietLines = quiet.map((_, i) => [`quiet ${i} a`, `quiet ${i} b`]);
    for (const [i, path] of quiet.entries()) await appendFile(path, `${(quietLines[i] ?? []).join("\n")}\n`);
    await sleep(500);

    const signalled = new Date();
    const result = await daemon.stop("SIGTERM");
    const took = Date.now() - signalled.getTime();
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    // Before the fix: the stop read the backlog until the stop timeout, and the quiet lines went to the spool.
    // Its backlog batches for half of it, the uploads under way then finish.
    expect(took, "the stop ends within --stop-timeout").toBeLessThan(stopTimeoutS * 1000);
    expect(quietInS3(world, quiet), "every quiet line went up at the stop").toEqual(quietLines);
    // First: ahead of all but the backlog's batch being cut at the signal.
    const putsAfterSignal = world.s3.requests.filter((request) => request.operation === "PutObject" && request.status === 200 && request.at >= signalled);
    const isQuiet = putsAfterSignal.map((request) => request.key?.includes("/quiet") === true);
    const lastQuiet = isQuiet.lastIndexOf(true);
    expect(isQuiet.filter(Boolean)).toHaveLength(quiet.length);
    expect(isQuiet.slice(0, lastQuiet).filter((each) => !each).length, "backlog batches sent ahead of the quiet lines").toBeLessThanOrEqual(1);
    const shippedAtStop = linesInS3(world).get("big.log")?.length ?? 0;
    expect(shippedAtStop, "the stop left part of the backlog for the next start").toBeLessThan(bigLines);

    // The next run ships the rest of the backlog, and nothing twice.
    const next = await runCli([...baseArgs(world), ...BATCHES, "--once"]);
    expect(next.code, next.stderr.slice(-3000)).toBe(0);
    const stored = linesInS3(world);
    const storedBig = stored.get("big.log") ?? [];
    expect(storedBig.length, "big.log lines in S3").toBe(bigLines);
    expect(`${storedBig.join("\n")}\n` === (await readFile(join(world.logs, "big.log"), "utf8")), "big.log in S3 is the file, in order, once").toBe(true);
    expect(quietInS3(world, quiet)).toEqual(quietLines);
    expect(world.s3.listObjects("test-logs").filter(({ object }) => object.putCount !== 1).map(({ key }) => key), "objects stored twice").toEqual([]);
  }, 90_000);
});
