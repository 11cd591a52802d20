import { once } from "node:events";
import { appendFile, mkdir, readFile, rename, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../support/freePort.js";
import { baseArgs, linesBySource, runCli, startDaemon, startWorld, type World } from "../support/world.js";

/*
 * SPEC "Delivery": SIGTERM / SIGINT stop reading, upload what is batched, save
 * state, exit 0. With a 60 s flush interval, only the stop flush can ship the
 * lines written just before the signal.
 */

function numbered(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}-${String(i).padStart(5, "0")}`);
}

describe("stop on SIGTERM / SIGINT", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  it("SIGTERM while the watcher still stats thousands of looping links: exits 0, and their errors are said once per kind", async () => {
    // A local user's self-looping links (dN/loop.log -> loop.log): chokidar's
    // stats of them fail with ELOOP, some after close() took its listeners away.
    for (let i = 0; i < 3000; i += 1) {
      const dir = join(world.logs, `d${i}`);
      await mkdir(dir);
      await symlink("loop.log", join(dir, "loop.log"));
    }
    const app = join(world.logs, "a.log");
    await appendFile(app, "");
    const daemon = startDaemon([...baseArgs(world, join(world.logs, "**", "*.log")), "--flush-interval", "60"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await appendFile(app, "pending line\n");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).not.toMatch(/Emitted 'error' event|^\s+at /m);
    expect(result.stderr.match(/"msg":"file watcher error"/g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect([...linesBySource(world).values()]).toEqual([["pending line"]]);
    const state = JSON.parse(await readFile(join(world.state, "state.json"), "utf8")) as { files: Array<{ pending: unknown[] }> };
    expect(state.files.flatMap((file) => file.pending)).toEqual([]);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal}: ships the lines written just before it (flush interval 60 s), keeps the partial line, exits 0`, async () => {
      const app = join(world.logs, "app.log");
      const other = join(world.logs, "other.log");
      await appendFile(app, "");
      await appendFile(other, "");
      const daemon = startDaemon([...baseArgs(world), "--flush-interval", "60", "--batch-max-bytes", "4096"]);
      await daemon.waitForLog(/"msg":"watching"/);

      const appLines = numbered("app", 500);
      const otherLines = numbered("other", 3);
      await appendFile(app, `${appLines.join("\n")}\n`);
      // Rotated right before the signal: the old file is still read through its descriptor.
      await appendFile(other, `${otherLines.join("\n")}\n`);
      await rename(other, `${other}.1`);
      await appendFile(app, "no-newline-yet");

      const startedAt = Date.now();
      const result = await daemon.stop(signal);
      const stopMs = Date.now() - startedAt;

      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(stopMs, "the stop flush does not wait for the flush interval").toBeLessThan(15_000);
      const sources = [...linesBySource(world).values()].sort((a, b) => (a[0] ?? "").localeCompare(b[0] ?? ""));
      expect(sources).toEqual([appLines, otherLines]);
      expect(sources.flat().some((line) => line.includes("no-newline-yet"))).toBe(false);

      // State saved: nothing left in flight, and a later run finds only the partial line pending.
      const state = JSON.parse(await readFile(join(world.state, "state.json"), "utf8")) as { files: Array<{ pending: unknown[] }> };
      expect(state.files.flatMap((file) => file.pending)).toEqual([]);
      const laterRun = await runCli([...baseArgs(world), "--once"]);
      expect(laterRun.stdout).toMatch(/ lines=0 .*pending_bytes=14 /);
    });
  }

  it("SIGTERM right after a new file appears that no file event has reported yet: its lines ship in the stop flush", async () => {
    // The glob's directory does not exist at start, so no watcher covers it
    // until the periodic rescan (10 s): only a last look at stop finds the file.
    const later = join(world.logs, "later");
    const daemon = startDaemon([...baseArgs(world, join(later, "*.log")), "--flush-interval", "60"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await mkdir(later);
    const lines = numbered("late", 50);
    await appendFile(join(later, "new.log"), `${lines.join("\n")}\n`);

    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect([...linesBySource(world).values()]).toEqual([lines]);
  });

  it("SIGTERM the moment the daemon logs \"watching\", while the rest of its start-up still runs: a stop like any other, exit 0", async () => {
    const app = join(world.logs, "app.log");
    const lines = numbered("early", 200);
    await appendFile(app, `${lines.join("\n")}\n`);
    // With metrics on, the daemon still loads and starts its metrics server after "watching".
    const daemon = startDaemon([...baseArgs(world), "--flush-interval", "60", "--metrics-listen", `127.0.0.1:${await freePort()}`]);
    // Signalled from the stderr handler itself, not after a poll interval, to land inside that start-up.
    const exited = once(daemon.child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    let signalled = false;
    daemon.child.stderr?.on("data", () => {
      if (!signalled && daemon.stderr().includes('"msg":"watching"')) {
        signalled = true;
        daemon.child.kill("SIGTERM");
      }
    });
    const [code, signal] = await exited;
    expect(signal, daemon.stderr().slice(-3000)).toBeNull();
    expect(code, daemon.stderr().slice(-3000)).toBe(0);
    expect([...linesBySource(world).values()]).toEqual([lines]);
  });

  it("SIGTERM while the daemon waits for IMDS to answer: exit 0 at once, nothing shipped", async () => {
    const app = join(world.logs, "app.log");
    await appendFile(app, "waiting\n");
    // Nothing listens on this port: IMDS is refused, and the daemon waits for it.
    const args = baseArgs(world);
    args[args.indexOf("--imds-endpoint") + 1] = `http://127.0.0.1:${await freePort()}`;
    const daemon = startDaemon(args);
    await daemon.waitForLog(/retrying until it answers/);
    const stoppedAt = Date.now();
    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(result.stderr).toMatch(/stopped before the instance metadata service answered/);
    expect(linesBySource(world).size).toBe(0);
  });
});
