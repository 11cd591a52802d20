import { appendFile, mkdir, readdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { logRecords, logsMatching } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { BUCKET, baseArgs, fileNameOfKey, linesInS3, runCli, waitFor, type World } from "../support/world.js";
import { StateStore } from "../../src/source/StateStore.js";
import { expectSuccess, numberedLines, readState, summaryOf, writeLines } from "./onceSupport.js";

/**
 * SPEC: every complete line arrives once. A --watch glob may cover the
 * --state-dir (`/var/**` with the state in /var/lib/ship-logs): its state.json,
 * status.json and spool are ship-logs' own files, never sources. Shipped as
 * logs, a spooled batch went up twice (replayed under its key, and tailed as a
 * new file under another), and files without a trailing newline stayed
 * "pending" and "rotated or deleted" at every state save.
 */
describe("a --watch glob that covers the state dir (e2e)", () => {
  const scenario = useScenario();

  /** Every written line once, all of them from app.log: no object holds a state file. */
  function expectOnlyAppLinesOnce(world: World, written: readonly string[]): void {
    const objects = world.s3.listObjects(BUCKET);
    expect(objects.map(({ key }) => fileNameOfKey(key)).filter((name) => name !== "app.log")).toEqual([]);
    expect([...linesInS3(world).values()].flat().sort()).toEqual([...written].sort());
    expect(objects.filter(({ object }) => object.putCount !== 1).map(({ key }) => key)).toEqual([]);
  }

  /** Log records about ship-logs' own files: none may be said to rotate, go, or be unreadable. */
  function ownFileRecords(stderr: string, world: World): string[] {
    return logRecords(stderr)
      .filter((record) => typeof record.path === "string" && !record.path.startsWith(world.logs))
      .map((record) => `${record.msg} (${String(record.path)})`);
  }

  it("a batch spooled by a stop during an outage goes once; --once counts no state file in files= or pending_bytes", async () => {
    const world = await scenario.startWorld();
    const args = baseArgs(world, join(world.dir, "**"));
    const path = join(world.logs, "app.log");
    await writeLines(path, []);
    const lines = numberedLines("app", 10);

    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown" });
    const daemon = scenario.startDaemon([...args, "--flush-interval", "0.5", "--stop-timeout", "2"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await appendFile(path, lines.map((line) => `${line}\n`).join(""));
    await waitFor(
      async () => ((await readState(world).catch(() => undefined))?.files.find((file) => file.path === path)?.pending.length ?? 0) > 0,
      15_000,
      "an upload intent recorded for app.log",
    );
    await waitFor(() => world.s3.requests.some((request) => request.status === 503), 15_000, "a refused upload");
    const stopped = await daemon.stop("SIGTERM");
    expect(stopped.code, stopped.stderr.slice(-2000)).toBe(0);
    expect((await readdir(join(world.state, "spool"))).filter((name) => name.endsWith(".body"))).not.toEqual([]);
    // Soft: what S3 holds after the next run is the point, and is checked even when these fail.
    expect.soft((await readState(world)).files.map((file) => file.path)).toEqual([path]);
    expect.soft(ownFileRecords(stopped.stderr, world)).toEqual([]);

    world.s3.clearFaults();
    const once = await runCli([...args, "--once"]);

    expectSuccess(once);
    expect.soft(summaryOf(once)).toMatchObject({ files: 1, lines: 10, pending_bytes: 0, failures: 0 });
    expectOnlyAppLinesOnce(world, lines);
    expect(ownFileRecords(once.stderr, world)).toEqual([]);
    expect(logsMatching(once.stderr, /from the spool/).length).toBeGreaterThan(0);
  });

  it("checkpoints of state files that an earlier release saved are forgotten at start, not warned about as gone", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const lines = numberedLines("app", 5);
    await writeLines(path, lines);
    // What such a release left: a checkpoint of state.json as it was at some save (another inode by now).
    await mkdir(world.state);
    const own = join(world.state, "state.json");
    const stale = { sourceId: "0123456789abcdef", path: own, dev: "1", ino: "1", fingerprint: "", fingerprintLength: 0, offset: 0, pending: [] };
    await new StateStore(world.state).save({ files: [stale] });

    const once = await runCli([...baseArgs(world, join(world.dir, "**")), "--once"]);

    expectSuccess(once);
    expect(summaryOf(once)).toMatchObject({ files: 1, lines: 5, pending_bytes: 0 });
    expect(logsMatching(once.stderr, /is gone/)).toEqual([]);
    expect(logsMatching(once.stderr, /forgot the checkpoints of ship-logs' own files/).map((record) => record.paths)).toEqual([[own]]);
    expect((await readState(world)).files.map((file) => file.path)).toEqual([path]);
    expectOnlyAppLinesOnce(world, lines);
  });

  it("the daemon, its state dir spelled through a symlink and named by a plain --watch too: its own files are never followed", async () => {
    const world = await scenario.startWorld();
    // The state dir is reached through a link: only real paths tell that the glob covers it.
    await mkdir(world.state);
    const stateLink = join(world.dir, "state-link");
    await symlink(world.state, stateLink);
    const args = [
      ...baseArgs(world, join(world.dir, "**")).map((arg) => (arg === world.state ? stateLink : arg)),
      "--watch", join(stateLink, "status.json"),
      "--flush-interval", "0.3",
    ];
    const path = join(world.logs, "app.log");
    await writeLines(path, []);
    const first = numberedLines("first", 20);
    const second = numberedLines("second", 20);

    const daemon = scenario.startDaemon(args);
    await daemon.waitForLog(/"msg":"watching"/);
    // One state save per batch: each is a write (and a rename) in the state dir.
    for (const line of first) {
      await appendFile(path, `${line}\n`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await waitFor(() => [...linesInS3(world).values()].flat().length >= first.length, 20_000, "the first lines in S3");
    const stopped = await daemon.stop("SIGTERM");
    expect(stopped.code, stopped.stderr.slice(-2000)).toBe(0);
    expect.soft((await readState(world)).files.map((file) => file.path)).toEqual([path]);

    // A second start looks for every checkpoint's file: none of them is a state file "gone".
    await appendFile(path, second.map((line) => `${line}\n`).join(""));
    const again = scenario.startDaemon(args);
    await waitFor(() => [...linesInS3(world).values()].flat().length >= first.length + second.length, 20_000, "the second lines in S3");
    const restopped = await again.stop("SIGTERM");
    expect(restopped.code, restopped.stderr.slice(-2000)).toBe(0);

    expectOnlyAppLinesOnce(world, [...first, ...second]);
    for (const stderr of [stopped.stderr, restopped.stderr]) {
      expect(ownFileRecords(stderr, world)).toEqual([]);
      expect(logsMatching(stderr, /rotated or deleted|is gone/)).toEqual([]);
    }
  });
});
