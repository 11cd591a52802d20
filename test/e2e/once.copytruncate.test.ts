import { appendFile, copyFile, rename, rm, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { useScenario } from "../support/scenario.js";
import { BUCKET, baseArgs, linesBySource, runCli } from "../support/world.js";
import { expectSuccess, numberedLines, readState, writeLines } from "./onceSupport.js";

/**
 * logrotate's copytruncate, numbered copies kept: app.log.1 becomes
 * app.log.2, app.log is copied to app.log.1, then truncated.
 */
async function copytruncate(path: string): Promise<void> {
  await rename(`${path}.1`, `${path}.2`).catch(() => undefined);
  await copyFile(path, `${path}.1`);
  await truncate(path, 0);
}

describe("ship-logs --once: copied and truncated twice between two runs (e2e)", () => {
  const scenario = useScenario();

  it("the content between the two truncations, in the later copy only, arrives too: every line once", async () => {
    const world = await scenario.startWorld();
    const app = join(world.logs, "app.log");
    const shipped = numberedLines("shipped", 100);
    const unread = numberedLines("unread", 50);
    const between = numberedLines("between", 60);
    const latest = numberedLines("latest", 40);
    await writeLines(app, shipped);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    await appendFile(app, unread.map((line) => `${line}\n`).join(""));
    await copytruncate(app);
    await appendFile(app, between.map((line) => `${line}\n`).join(""));
    // The copies' change times must differ for their order to show.
    await sleep(20);
    await copytruncate(app);
    await appendFile(app, latest.map((line) => `${line}\n`).join(""));

    const run = await runCli([...baseArgs(world), "--once"]);
    expectSuccess(run);
    expect(run.stderr).toMatch(/"copy":"[^"]*app\.log\.1".*shipping the later copy whole/);
    expect([...linesBySource(world).values()].flat().sort()).toEqual([...shipped, ...unread, ...between, ...latest].sort());
    expect(world.s3.listObjects(BUCKET).filter(({ object }) => object.putCount !== 1)).toEqual([]);
    // Nothing is shipped again by the next run.
    const again = await runCli([...baseArgs(world), "--once"]);
    expectSuccess(again);
    expect(again.stdout).toMatch(/ lines=0 /);
  });

  it("rotate 2: later copies that took the inodes of deleted, checkpointed copies are shipped too", async () => {
    const world = await scenario.startWorld();
    const app = join(world.logs, "app.log");
    // logrotate's `rotate 2`: the oldest copy is deleted just before the next copy is made, and ext4 hands its inode on.
    const rotate2 = async (): Promise<void> => {
      await rm(`${app}.2`, { force: true });
      await copytruncate(app);
    };
    const generations = [0, 1, 2, 3, 4, 5].map((n) => numberedLines(`g${n}`, 30 + n * 7));
    const add = (lines: readonly string[]): Promise<void> => appendFile(app, lines.map((line) => `${line}\n`).join(""));
    await add(generations[0] ?? []);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    for (const n of [1, 2]) {
      await rotate2();
      await add(generations[n] ?? []);
      expectSuccess(await runCli([...baseArgs(world), "--once"]));
    }
    await add(generations[3] ?? []);
    await rotate2();
    await add(generations[4] ?? []);
    await sleep(20);
    await rotate2();
    await add(generations[5] ?? []);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    expect([...linesBySource(world).values()].flat().sort()).toEqual(generations.flat().sort());
  });

  it("rotate 1, each copy given the deleted copy's inode: the deleted copies' checkpoints are let go, and a glob widened to the copies ships nothing twice", async () => {
    const world = await scenario.startWorld();
    const app = join(world.logs, "app.log");
    const copy = `${app}.1`;
    // logrotate's `rotate 1`: the copy is deleted just before the next copy is
    // made, and ext4 often hands the new copy the inode just freed; try until it does.
    const rotate1 = async (): Promise<void> => {
      const freed = (await stat(copy)).ino;
      for (let attempt = 0; attempt < 200; attempt += 1) {
        await rm(copy);
        await copyFile(app, copy);
        if ((await stat(copy)).ino === freed) break;
      }
      await truncate(app, 0);
    };
    const generations = [0, 1, 2, 3].map((n) => numberedLines(`g${n}`, 30 + n * 7));
    const add = (lines: readonly string[]): Promise<void> => appendFile(app, lines.map((line) => `${line}\n`).join(""));
    await add(generations[0] ?? []);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    await add(["unread 1"]);
    await copytruncate(app);
    await add(generations[1] ?? []);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    for (const n of [2, 3]) {
      await add([`unread ${n}`]);
      await rotate1();
      await add(generations[n] ?? []);
      expectSuccess(await runCli([...baseArgs(world), "--once"]));
    }
    // One checkpoint per file: the copy's and app.log's.
    expect((await readState(world)).files.map(({ path }) => path).sort()).toEqual([app, copy]);

    const all = [...generations.flat(), "unread 1", "unread 2", "unread 3"].sort();
    expect([...linesBySource(world).values()].flat().sort()).toEqual(all);
    // The copies' names matched too: the copy is known, shipped already, under the checkpoint it took over.
    for (let run = 0; run < 2; run += 1) {
      const widened = await runCli([...baseArgs(world, join(world.logs, "app.log*")), "--once"]);
      expectSuccess(widened);
      expect(widened.stdout).toMatch(/ lines=0 /);
    }
    expect([...linesBySource(world).values()].flat().sort()).toEqual(all);
  });

  it("a run killed while it ships the first copy leaves the later copies to the next run: every line once", async () => {
    const world = await scenario.startWorld();
    const app = join(world.logs, "app.log");
    const args = [...baseArgs(world), "--stop-timeout", "1", "--once"];
    const shipped = numberedLines("shipped", 50);
    const unread = numberedLines("unread", 50);
    const between = numberedLines("between", 50);
    const latest = numberedLines("latest", 50);
    const add = (lines: readonly string[]): Promise<void> => appendFile(app, lines.map((line) => `${line}\n`).join(""));
    await add(shipped);
    expectSuccess(await runCli(args));
    await add(unread);
    await copytruncate(app);
    await sleep(20);
    await add(between);
    await copytruncate(app);
    await add(latest);
    // The first copy's upload hangs; the run is killed once it has taken the copy over (and saved that).
    world.s3.injectFault({ kind: "stall", forMs: 60_000 });
    const killed = scenario.startDaemon(args);
    await killed.waitForLog(/copied and truncated since its checkpoint/);
    await sleep(300);
    await killed.stop("SIGKILL");
    world.s3.clearFaults();

    expectSuccess(await runCli(args));
    expect([...linesBySource(world).values()].flat().sort()).toEqual([...shipped, ...unread, ...between, ...latest].sort());
  });
});
