import { appendFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BUCKET, acknowledgedOffset, baseArgs, linesBySource, runCli, startDaemon, startWorld, waitFor, type World } from "../support/world.js";
import { expectSuccess, numberedLines } from "./onceSupport.js";

/*
 * Rename rotation (logrotate's `create`, or an application's size-based
 * rotation) more than once before ship-logs saw the first: the files created
 * at the watched path and renamed away before ship-logs opened them (the
 * intermediate generations) are known to no checkpoint, and the glob does not
 * match their rotated names. They must arrive too, each line once
 * (docs/delivery.md).
 */

const add = (path: string, lines: readonly string[]): Promise<void> => appendFile(path, lines.map((line) => `${line}\n`).join(""));

/** Numbered rotations: app.log.N becomes app.log.N+1, app.log becomes app.log.1; the next write creates app.log. */
async function rotate(path: string, kept: number): Promise<void> {
  for (let n = kept; n >= 1; n -= 1) await rename(`${path}.${n}`, `${path}.${n + 1}`).catch(() => undefined);
  await rename(path, `${path}.1`);
}

/** Every line in S3, sorted, and no object PUT twice. */
function expectEachOnce(world: World, written: readonly string[]): void {
  expect([...linesBySource(world).values()].flat().sort()).toEqual([...written].sort());
  expect(world.s3.listObjects(BUCKET).filter(({ object }) => object.putCount !== 1)).toEqual([]);
}

describe("rename rotations missed in between", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  it("several quick rename rotations during an S3 outage: every generation arrives, every line once", { timeout: 150_000 }, async () => {
    const app = join(world.logs, "app.log");
    const shipped = numberedLines("shipped", 10);
    await add(app, shipped);
    const daemon = startDaemon([...baseArgs(world), "--flush-interval", "1"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await waitFor(async () => (await acknowledgedOffset(world, app)) > 0, 10_000, "the first lines acknowledged");

    // Every upload slot ends up held by a retrying upload; the polls wait for one.
    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown" });
    const during = numberedLines("during", 30);
    for (const line of during) {
      await add(app, [line]);
      await sleep(200);
    }
    // Generations that live 300 ms each, well within the 10 s between scans.
    const generations = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => numberedLines(`gen${n}`, 5 + n));
    for (const lines of generations) {
      await rotate(app, 10);
      await add(app, lines);
      await sleep(300);
    }
    await sleep(2_000);
    world.s3.clearFaults();
    const written = [...shipped, ...during, ...generations.flat()];
    await waitFor(() => [...linesBySource(world).values()].flat().length >= written.length, 120_000, "every line in S3 once S3 is back");

    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expectEachOnce(world, written);
    expect(result.stderr).toMatch(/shipping a generation no poll read whole/);
  });

  it("`rotate 1` twice during an S3 outage: the followed file is deleted, and the generation renamed onto its name arrives", { timeout: 150_000 }, async () => {
    const app = join(world.logs, "app.log");
    const shipped = numberedLines("shipped", 10);
    await add(app, shipped);
    const daemon = startDaemon([...baseArgs(world), "--flush-interval", "1"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await waitFor(async () => (await acknowledgedOffset(world, app)) > 0, 10_000, "the first lines acknowledged");

    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown" });
    const during = numberedLines("during", 30);
    for (const line of during) {
      await add(app, [line]);
      await sleep(200);
    }
    const middle = numberedLines("middle", 20);
    const latest = numberedLines("latest", 10);
    // logrotate's `rotate 1`: the one rotated file kept is deleted before the next rename.
    await rename(app, `${app}.1`);
    // Renamed away at once: no file event or scan opens it at the watched path first.
    await add(app, middle);
    await rm(`${app}.1`);
    await rename(app, `${app}.1`);
    await add(app, latest);
    await sleep(2_000);
    world.s3.clearFaults();
    const written = [...shipped, ...during, ...middle, ...latest];
    await waitFor(() => [...linesBySource(world).values()].flat().length >= written.length, 120_000, "every line in S3 once S3 is back");

    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expectEachOnce(world, written);
  });

  it("two rename rotations between two --once runs: the middle generation arrives, and a third run ships nothing", async () => {
    const app = join(world.logs, "app.log");
    const first = numberedLines("first", 100);
    const unread = numberedLines("unread", 20);
    const middle = numberedLines("middle", 40);
    const latest = numberedLines("latest", 30);
    // A rotation from before ship-logs ran: older than everything, never shipped (it is not watched).
    await add(`${app}.1`, numberedLines("before", 5));
    await sleep(20);
    await add(app, first);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    await add(app, unread);
    await rotate(app, 5);
    // The generations' change times must differ for the search to tell them apart.
    await sleep(20);
    await add(app, middle);
    await rotate(app, 5);
    await sleep(20);
    await add(app, latest);

    const second = await runCli([...baseArgs(world), "--once"]);
    expectSuccess(second);
    expectEachOnce(world, [...first, ...unread, ...middle, ...latest]);
    expect(second.stderr).toMatch(/"rotated":"[^"]*app\.log\.1".*shipping a generation no run read whole/);
    const third = await runCli([...baseArgs(world), "--once"]);
    expectSuccess(third);
    expect(third.stdout).toMatch(/ lines=0 /);
    expectEachOnce(world, [...first, ...unread, ...middle, ...latest]);
  });

  it("two rename rotations while the daemon is stopped: the middle generation arrives at its start", { timeout: 60_000 }, async () => {
    const app = join(world.logs, "app.log");
    const first = numberedLines("first", 100);
    const middle = numberedLines("middle", 40);
    const latest = numberedLines("latest", 30);
    await add(app, first);
    const before = startDaemon([...baseArgs(world), "--flush-interval", "1"]);
    await waitFor(async () => (await acknowledgedOffset(world, app)) > 0, 10_000, "the first lines acknowledged");
    expect((await before.stop("SIGTERM")).code).toBe(0);
    await rotate(app, 5);
    await sleep(20);
    await add(app, middle);
    await rotate(app, 5);
    await sleep(20);
    await add(app, latest);

    const daemon = startDaemon([...baseArgs(world), "--flush-interval", "1"]);
    const written = [...first, ...middle, ...latest];
    await waitFor(() => [...linesBySource(world).values()].flat().length >= written.length, 20_000, "every line in S3");
    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expectEachOnce(world, written);
  });
});
