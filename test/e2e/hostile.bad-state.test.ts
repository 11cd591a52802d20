import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, chown, mkdir, readdir, readFile, rename, rm, stat, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { StateStore } from "../../src/source/StateStore.js";
import { LineWriter } from "../support/LineWriter.js";
import { LEVEL, logRecords, logsMatching, type LogRecord } from "../support/logRecords.js";
import { checkpointOffset, expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, cleanEnv, linesInS3, runCli, startDaemon, startWorld, waitFor, type DaemonProcess, type World } from "../support/world.js";
import { canMount, rewrittenObjects, shareWorld, sleep, startDaemonAs, startDaemonWithUlimit, unprivileged, type Unprivileged } from "./hostileSupport.js";

const CORRUPT_ASIDE = /^state\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/;

/** Ways a state file goes bad: a flipped bit that keeps it JSON, torn writes, power loss. */
const CORRUPTIONS: ReadonlyArray<{ name: string; corrupt: (path: string) => Promise<void> }> = [
  {
    name: "a flipped digit (still valid JSON, fails its checksum)",
    corrupt: async (path) => {
      const text = await readFile(path, "utf8");
      await writeFile(path, text.replace(/"offset":(\d)/, (_, digit: string) => `"offset":${(Number(digit) + 1) % 10}`));
    },
  },
  {
    name: "flipped bytes in the middle",
    corrupt: async (path) => {
      const bytes = await readFile(path);
      const middle = Math.floor(bytes.length / 2);
      for (let i = middle; i < middle + 4; i += 1) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
      await writeFile(path, bytes);
    },
  },
  { name: "truncated to half", corrupt: async (path) => truncate(path, Math.floor((await stat(path)).size / 2)) },
  { name: "truncated to nothing", corrupt: async (path) => truncate(path, 0) },
  { name: "all NUL bytes (a power loss on some file systems)", corrupt: async (path) => writeFile(path, Buffer.alloc((await stat(path)).size)) },
];

/** Log lines above info: what an operator is told about. */
function complaints(stderr: string): LogRecord[] {
  return logRecords(stderr).filter((record) => record.level >= LEVEL.warn);
}

/** The state file parses, and its checkpoint for `path` is at `offset` (its checksum is checked by the next run). */
async function stateOffset(world: World, path: string): Promise<number> {
  return checkpointOffset(world, path);
}

/**
 * Issue 7, case 5: the state goes bad. A corrupt state file is moved aside (never
 * trusted, never deleted) and the daemon says in one line what it did and what that
 * means; a state dir that cannot be written (read-only, full) stops checkpoints from
 * moving, is explained, and heals when it is writable again — without a torn state.
 */
describe("hostile world: bad state (e2e, real CLI, issue 7)", () => {
  let world: World | undefined;
  let daemon: DaemonProcess | undefined;
  let writer: LineWriter | undefined;
  let mounted: string | undefined;

  afterEach(async () => {
    writer?.stop();
    await daemon?.stop("SIGKILL");
    if (mounted) execFileSync("umount", [mounted]);
    await world?.close();
    world = daemon = writer = mounted = undefined;
  });

  /** A world whose state dir is a tmpfs mounted with `options` (a size, ro): unmounted after the test. */
  async function worldOnTmpfs(options: string): Promise<World> {
    // Set at once, so that afterEach closes it should the mount fail.
    const made = (world = await startWorld());
    await mkdir(made.state, { mode: 0o700 });
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", made.state]);
    mounted = made.state;
    return made;
  }

  it.each(CORRUPTIONS)("a corrupt state file ($name) is moved aside with a timestamped name, in one line", async ({ corrupt }) => {
    world = await startWorld();
    const log = join(world.logs, "app.log");
    await writeFile(log, "first\nsecond\n");
    const initial = await runCli(["--once", ...baseArgs(world)]);
    expect(initial.code, initial.stderr).toBe(0);
    const statePath = join(world.state, "state.json");
    await corrupt(statePath);
    const corrupted = await readFile(statePath);
    // status reads only: it says so and leaves the file where it is.
    const status = await runCli(["status", ...baseArgs(world)]);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/^ship-logs: state file \S+state\.json (is not valid JSON|fails its checksum)\n$/);
    expect((await readFile(statePath)).equals(corrupted)).toBe(true);

    const result = await runCli(["--once", ...baseArgs(world)]);
    expect(result.code, result.stderr).toBe(0);
    // Exactly one line above info, and it says what happened, where the file went and what follows.
    const records = complaints(result.stderr);
    expect(records, result.stderr).toHaveLength(1);
    const [record] = records;
    expect(record).toMatchObject({ level: 50, msg: expect.stringMatching(/^state file is corrupt: moved aside, starting with empty state; .*shipped again/) });
    expect(String(record?.["reason"])).toMatch(/state\.json (is not valid JSON|fails its checksum)/);
    const movedTo = String(record?.["movedTo"]);
    expect(movedTo.startsWith(`${statePath}.corrupt-`)).toBe(true);
    const entries = await readdir(world.state);
    expect(entries.filter((name) => CORRUPT_ASIDE.test(name))).toEqual([movedTo.slice(world.state.length + 1)]);
    // Kept as it was, for the operator to read; private like the state itself.
    expect((await readFile(movedTo)).equals(corrupted)).toBe(true);
    expect((await stat(movedTo)).mode & 0o077).toBe(0);
    // A fresh, valid state: a third run starts quietly and ships nothing new.
    expect(await stateOffset(world, log)).toBe("first\nsecond\n".length);
    const third = await runCli(["--once", ...baseArgs(world)]);
    expect(third.code, third.stderr).toBe(0);
    expect(complaints(third.stderr)).toEqual([]);
    expect(third.stdout).toMatch(/ lines=0 /);
    // Starting over re-sends what the file holds, under a new source id (documented): never lost.
    expect(linesInS3(world).get("app.log")).toEqual(["first", "second", "first", "second"]);
  });

  it("the daemon, too, says it in one line and carries on", async () => {
    world = await startWorld();
    await mkdir(world.state, { mode: 0o700 });
    await writeFile(join(world.state, "state.json"), '{"version":1,"checksum":"00","files":[]}');
    writer = new LineWriter(join(world.logs, "app.log"), "after-corrupt");
    writer.write();
    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await waitForLinesInS3(world, "app.log", 1, 15_000);
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expect(logsMatching(result.stderr, /corrupt/)).toEqual([
      expect.objectContaining({ level: 50, reason: expect.stringMatching(/fails its checksum$/), movedTo: expect.stringMatching(/state\.json\.corrupt-/) }),
    ]);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
  }, 30_000);

  it("after a reboot that renumbered the disk: nothing shipped again, and a file rotated meanwhile is finished", async () => {
    world = await startWorld();
    const a = join(world.logs, "a.log");
    const b = join(world.logs, "b.log");
    await writeFile(a, "a1\n");
    await writeFile(b, "b1\n");
    expect((await runCli(["--once", ...baseArgs(world)])).code).toBe(0);
    // While down: a.log gets a line and is rotated; the disk comes back with another device number.
    await writeFile(a, "a2\n", { flag: "a" });
    await rename(a, `${a}.1`);
    await writeFile(a, "a3\n");
    const store = new StateStore(world.state);
    const state = await store.load();
    for (const checkpoint of state.files) checkpoint.dev = String(Number(checkpoint.dev) + 1);
    await store.save(state);

    const result = await runCli(["--once", ...baseArgs(world)]);
    expect(result.code, result.stderr).toBe(0);
    expect(complaints(result.stderr).map((record) => record.msg)).toEqual([
      "device numbers changed since the last run (disks renumbered at boot): checkpoints follow their files",
    ]);
    // Each line once; the rotated file's end goes under its new name.
    expect(linesInS3(world).get("a.log")?.sort()).toEqual(["a1", "a3"]);
    expect(linesInS3(world).get("a.log.1")).toEqual(["a2"]);
    expect(linesInS3(world).get("b.log")).toEqual(["b1"]);
  });

  it("a file where the state directory should be: one line, exit 2 (daemon, --once and status)", async () => {
    world = await startWorld();
    await writeFile(world.state, "not a directory\n");
    for (const args of [["--once"], [], ["status"]]) {
      const result = await runCli([...args, ...baseArgs(world)]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"))).toEqual([`ship-logs: --state-dir ${world.state}: not a directory`]);
    }
  });

  it.skipIf(process.getuid?.() !== 0)("a state dir another user owns (nobody), with a link planted at status.json.tmp: one line naming it and its owner, exit 2 (daemon and --once), nothing written through the link", async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "app.log"), "first\n");
    // Root's file in a sticky world-writable directory, as /tmp is.
    const shared = join(world.dir, "t7");
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const victim = join(shared, "victim");
    await writeFile(victim, "content\n", { mode: 0o644 });
    const state = join(shared, "state");
    await mkdir(state);
    await chmod(state, 0o777);
    await chown(state, 65534, 65534);
    await symlink(victim, join(state, "status.json.tmp"));
    await symlink(victim, join(state, "state.json"));
    for (const args of [[], ["--once"]]) {
      // Started as a daemon is, so that afterEach ends one that does not exit.
      const run = (daemon = startDaemon([...args, ...baseArgs(world).slice(0, -2), "--state-dir", state]));
      await waitFor(() => run.child.exitCode !== null || run.child.signalCode !== null, 15_000, `an exit at start (stderr so far: ${run.stderr().slice(-2000)})`);
      const result = await run.stop();
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"))).toEqual([
        `ship-logs: --state-dir ${state}: owned by uid 65534, not root, the user ship-logs runs as (uid 0): that user could make ship-logs write through links planted in it; chown it to uid 0, or give ship-logs a state directory of its own`,
      ]);
    }
    expect(await readFile(victim, "utf8")).toBe("content\n");
    // Left as it was: neither tightened nor emptied (the owner's to look at).
    expect((await stat(state)).mode & 0o777).toBe(0o777);
    expect((await readdir(state)).sort()).toEqual(["state.json", "status.json.tmp"]);
    expect(linesInS3(world).size).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)("a state dir reached through a link is judged by the directory itself", async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "app.log"), "first\n");
    const real = join(world.dir, "elsewhere");
    await mkdir(real, { mode: 0o700 });
    await chown(real, 65534, 65534);
    const link = join(world.dir, "state-link");
    await symlink(real, link);
    const refused = await runCli(["--once", ...baseArgs(world).slice(0, -2), "--state-dir", link]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`ship-logs: --state-dir ${link}: owned by uid 65534, not root, the user ship-logs runs as (uid 0) (${real}): `);
    await chown(real, 0, 0);
    const accepted = await runCli(["--once", ...baseArgs(world).slice(0, -2), "--state-dir", link]);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(linesInS3(world).get("app.log")).toEqual(["first"]);
  });

  it("that line names where the state dir came from: under systemd nobody typed --state-dir", async () => {
    world = await startWorld();
    await writeFile(world.state, "not a directory\n");
    const withoutStateDir = baseArgs(world).slice(0, -2);
    const fromVariable = await runCli(["--once", ...withoutStateDir], cleanEnv({ SHIP_LOGS_STATE_DIR: world.state }));
    expect(fromVariable.code, fromVariable.stderr).toBe(2);
    expect(fromVariable.stderr).toContain(`ship-logs: SHIP_LOGS_STATE_DIR ${world.state}: not a directory\n`);
    const fromSystemd = await runCli(["status"], cleanEnv({ STATE_DIRECTORY: world.state }));
    expect(fromSystemd.code, fromSystemd.stderr).toBe(2);
    expect(fromSystemd.stderr).toBe(`ship-logs: STATE_DIRECTORY (the default of --state-dir) ${world.state}: not a directory\n`);
  });

  it("a state file of a later release (a rollback): exit 1 in one line, the file left in place, nothing shipped again", async () => {
    world = await startWorld();
    const log = join(world.logs, "app.log");
    await writeFile(log, "first\n");
    expect((await runCli(["--once", ...baseArgs(world)])).code).toBe(0);
    const statePath = join(world.state, "state.json");
    const later = JSON.stringify({ ...(JSON.parse(await readFile(statePath, "utf8")) as object), version: 2 });
    await writeFile(statePath, later);
    await writeFile(log, "second\n", { flag: "a" });

    for (const args of [["--once"], ["status"]]) {
      const result = await runCli([...args, ...baseArgs(world)]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"))).toEqual([
        expect.stringMatching(/^ship-logs: state file \S+state\.json was written by a newer ship-logs \(state version 2; this release reads 1\)/),
      ]);
    }
    expect(await readFile(statePath, "utf8")).toBe(later);
    expect((await readdir(world.state)).filter((name) => CORRUPT_ASIDE.test(name))).toEqual([]);
    expect(linesInS3(world).get("app.log")).toEqual(["first"]);
  });

  /**
   * Runs a daemon, takes the state dir's writability away for a while (`block`), gives
   * it back (`unblock`): no checkpoint moves meanwhile, the daemon says why, and then
   * everything ships exactly once and the state on disk is whole.
   */
  async function survivesUnwritableState(
    w: World,
    start: (args: string[]) => DaemonProcess,
    block: () => Promise<void>,
    unblock: () => Promise<void>,
    code: string,
  ): Promise<void> {
    const log = join(w.logs, "app.log");
    writer = new LineWriter(log, "state-trouble");
    writer.write();
    await chmod(log, 0o644);
    daemon = start([...baseArgs(w), "--flush-interval", "0.5"]);
    await waitForLinesInS3(w, "app.log", 1, 15_000);
    writer.start(100);
    await sleep(1_500);
    await block();
    // Let what was in flight settle, then watch the state file: it must not change.
    await sleep(1_500);
    const before = await readFile(join(w.state, "state.json"));
    const offsetBefore = await stateOffset(w, log);
    await sleep(8_000);
    expect((await readFile(join(w.state, "state.json"))).equals(before), "state.json untouched while unwritable").toBe(true);
    // Lines kept being written; none of the later ones is in S3, none is acknowledged.
    const shippedWhileBlocked = linesInS3(w).get("app.log")?.length ?? 0;
    expect(shippedWhileBlocked).toBeLessThan(writer.lines.length - 50);
    expect(await stateOffset(w, log)).toBe(offsetBefore);

    await unblock();
    writer.stop();
    await waitForLinesInS3(w, "app.log", writer.lines.length, 20_000);
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expectShippedExactlyOnce(w, "app.log", writer.lines);

    const why = logsMatching(result.stderr, /^cannot ship this file for now; retrying \(its checkpoint does not move\)$/);
    expect(why).toEqual([expect.objectContaining({ level: 50, path: log, code })]);
    expect(logsMatching(result.stderr, /^file ships again$/)).toHaveLength(1);
    // Its retries every 5 s are no restart, and are not said as one.
    expect(logsMatching(result.stderr, /^replaying an upload recorded earlier/)).toEqual([]);
    expect(logsMatching(result.stderr, /^cannot write status\.json$/)).toEqual([expect.objectContaining({ code })]);
    // The state on disk is whole and current: the next run finds nothing to do and says nothing.
    expect(await stateOffset(w, log)).toBe((await stat(log)).size);
    // As the same user: a state dir another user owns is refused.
    const nextRun = (daemon = start(["--once", ...baseArgs(w)]));
    await waitFor(() => nextRun.child.exitCode !== null, 30_000, "the next --once to exit");
    const next = await nextRun.stop();
    expect(next.code, next.stderr).toBe(0);
    expect(complaints(next.stderr)).toEqual([]);
    expect(next.stdout).toMatch(/ lines=0 /);
    await assertNoSecretLeaks(w, [result.stdout, result.stderr]);
  }

  // Root writes anywhere whatever the mode: the daemon runs as nobody then (setpriv).
  it.skipIf(unprivileged === undefined)(
    "a read-only state dir: checkpoints stop, the daemon says why (EACCES), and recovers when writable",
    async () => {
      const user = unprivileged as Unprivileged;
      world = await startWorld();
      await shareWorld(world, user);
      const state = world.state;
      await survivesUnwritableState(
        world,
        (args) => startDaemonAs(user, args),
        () => chmod(state, 0o500),
        () => chmod(state, 0o700),
        "EACCES",
      );
    },
    60_000,
  );

  it.skipIf(unprivileged === undefined)(
    "a state dir it cannot write at start: one line naming --state-dir, exit 2 (a configuration error, not restarted), no stack trace (daemon and --once)",
    async () => {
      const user = unprivileged as Unprivileged;
      world = await startWorld();
      await shareWorld(world, user);
      await writeFile(join(world.logs, "app.log"), "one\n");
      await chmod(join(world.logs, "app.log"), 0o644);
      // Another owner's directory, as after a restore or a changed User= (without root: no write bit).
      if (process.getuid?.() === 0) await chown(world.state, 0, 0);
      await chmod(world.state, process.getuid?.() === 0 ? 0o755 : 0o555);
      for (const mode of [["--once"], []]) {
        const run = startDaemonAs(user, [...mode, ...baseArgs(world)]);
        daemon = run;
        // It must end by itself; stop() then only collects the output.
        await waitFor(() => run.child.exitCode !== null, 20_000, "the run to exit");
        const result = await run.stop();
        expect(result.code, result.stderr).toBe(2);
        const lines = result.stderr.trimEnd().split("\n").filter((line) => !/credentials refreshed/.test(line));
        expect(lines).toEqual([`ship-logs: --state-dir ${world.state}: permission denied (EACCES); the user ship-logs runs as must be able to write it`]);
      }
      expect(world.s3.listObjects("test-logs")).toEqual([]);
      await chmod(world.state, 0o755);
    },
    60_000,
  );

  it("a --once while the daemon runs on the same state dir: one line naming the daemon, exit 1, nothing shipped twice", async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "app.log"), "one\ntwo\n");
    const running = startDaemon([...baseArgs(world), "--flush-interval", "60"]);
    daemon = running;
    await running.waitForLog(/"msg":"watching"/);
    await writeFile(join(world.logs, "late.log"), "late\n");

    // Both would ship late.log, each under a source id of its own.
    const clash = await runCli(["--once", ...baseArgs(world)]);
    expect(clash.code, clash.stderr).toBe(1);
    const lines = clash.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"));
    expect(lines).toEqual([`ship-logs: cannot use state directory ${world.state}: another ship-logs (pid ${running.child.pid}) is using it`]);

    expect((await running.stop("SIGTERM")).code).toBe(0);
    daemon = undefined;
    // The lock goes with the process: the next run needs nothing cleared.
    expect((await runCli(["--once", ...baseArgs(world)])).code).toBe(0);
    expect(Object.fromEntries(linesInS3(world))).toEqual({ "app.log": ["one", "two"], "late.log": ["late"] });
  });

  it.skipIf(!canMount())(
    "a state dir on a read-only file system (ProtectSystem=strict without a writable path): one line, exit 2; one that cannot be created there: exit 1 (a disk mounted late at boot looks the same), with a line that says the parent is read-only",
    async () => {
      world = await worldOnTmpfs("ro,size=64k");
      await writeFile(join(world.logs, "app.log"), "one\n");
      for (const [stateDir, code, line] of [
        [world.state, 2, `ship-logs: --state-dir ${world.state}: on a read-only file system (EROFS); with ProtectSystem=strict, give it StateDirectory= or ReadWritePaths=`],
        [
          join(world.state, "sub"),
          1,
          `ship-logs: cannot use state directory ${join(world.state, "sub")}: ENOENT: ${world.state} is on a read-only file system (EROFS): with ProtectSystem=strict, give it StateDirectory= or ReadWritePaths= (or is its disk not mounted yet?)`,
        ],
      ] as const) {
        const args = [...baseArgs(world).slice(0, -2), "--state-dir", stateDir];
        for (const mode of [["--once"], []]) {
          const result = await runCli([...mode, ...args]);
          expect(result.code, result.stderr).toBe(code);
          expect(result.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"))).toEqual([line]);
        }
      }
    },
    60_000,
  );

  it.skipIf(!canMount())(
    "a stop during an outage leaves room for the state on a small state dir (300 KiB), and a start on a full one runs on: the spool goes out, frees space, and everything ships once",
    async () => {
      world = await worldOnTmpfs("size=300k,mode=0700");
      // 100 files of 40 lines that compress little: each file's batch is a spool entry of a few KiB.
      const written = new Map<string, string[]>();
      for (let f = 0; f < 100; f += 1) {
        const name = `f${String(f).padStart(3, "0")}.log`;
        const lines = Array.from({ length: 40 }, (_, i) => `${name} l${i} ${createHash("sha256").update(`${f}:${i}`).digest("hex")}`);
        written.set(name, lines);
        await writeFile(join(world.logs, name), lines.map((line) => `${line}\n`).join(""));
      }
      world.s3.injectFault({ kind: "error", status: 503, code: "ServiceUnavailable", methods: ["PUT", "POST"] });
      const args = [...baseArgs(world), "--flush-interval", "1", "--stop-timeout", "2"];
      const outage = startDaemon(args);
      daemon = outage;
      await outage.waitForLog(/"msg":"watching"/);
      await waitFor(() => world?.s3.requests.some((request) => request.status === 503) ?? false, 15_000, "a refused upload");
      await sleep(2_000);
      // The stop cancels a batch of every file; the spool keeps what leaves room for the state.
      const stopped = await outage.stop("SIGTERM");
      expect(stopped.code, stopped.stderr.slice(-2000)).toBe(0);
      expect(logsMatching(stopped.stderr, /^the state dir is almost full: cancelled batches are no longer kept in the spool/), stopped.stderr.slice(-3000)).toHaveLength(1);
      expect(logsMatching(stopped.stderr, /^cannot save state at stop|^cannot keep a cancelled batch/)).toEqual([]);
      expect((await readdir(join(world.state, "spool"))).length).toBeGreaterThan(0);

      // Now the disk fills up (another writer): the next start cannot save its state.
      const filler = join(world.state, "filler");
      await writeFile(filler, Buffer.alloc(512 * 1024)).catch((error: NodeJS.ErrnoException) => expect(error.code).toBe("ENOSPC"));
      world.s3.clearFaults();
      const full = startDaemon(args);
      daemon = full;
      const total = [...written.values()].reduce((sum, lines) => sum + lines.length, 0);
      // It runs on: what the spool holds goes out, which frees the space the saves need, and the files follow.
      await waitFor(() => full.child.exitCode !== null || [...linesInS3(world as World).values()].flat().length >= total, 45_000, "every line in S3");
      expect(full.child.exitCode, full.stderr().slice(-3000)).toBeNull();
      const result = await full.stop("SIGTERM");
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      // The files' first uploads could not save their intents: said, and retried.
      expect(logsMatching(result.stderr, /^cannot ship this file for now/).length).toBeGreaterThan(0);
      for (const [name, lines] of written) expectShippedExactlyOnce(world, name, lines);
      expect(await readdir(join(world.state, "spool"))).toEqual([]);
      await rm(filler);
      const next = await runCli(["--once", ...baseArgs(world)]);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stdout).toMatch(/ lines=0 /);
    },
    120_000,
  );

  /** `count` new files of one line each; their lines by file name. */
  async function manyFiles(w: World, count: number): Promise<Map<string, string[]>> {
    const written = new Map<string, string[]>();
    for (let i = 0; i < count; i += 1) {
      const name = `new-file-with-a-long-name-${String(i).padStart(4, "0")}.log`;
      written.set(name, [`line of ${name}`]);
      await writeFile(join(w.logs, name), `line of ${name}\n`);
    }
    return written;
  }

  function expectEachLineOnce(w: World, written: Map<string, string[]>): void {
    expect(Object.fromEntries(linesInS3(w))).toEqual(Object.fromEntries(written));
  }

  it.skipIf(!canMount())(
    "--once on a state dir too small for its checkpoints (64 KiB): its summary line, and one line naming the state dir, exit 1, no stack trace; the next run with room ships the rest",
    async () => {
      world = await worldOnTmpfs("size=64k,mode=0700");
      const written = await manyFiles(world, 400);
      const result = await runCli(["--once", ...baseArgs(world)]);
      expect(result.code, result.stderr.slice(-2000)).toBe(1);
      expect(result.stdout).toMatch(/^ship-logs: shipped files=400 lines=\d+ .* failures=\d+\n$/);
      const lines = result.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"));
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(`^ship-logs: could not ship everything: cannot write to state directory ${world.state}: ENOSPC; the next run resumes from the last saved state \\(and \\d+ more\\)$`),
        ),
      ]);
      execFileSync("mount", ["-o", "remount,size=4m", world.state]);
      const next = await runCli(["--once", ...baseArgs(world)]);
      expect(next.code, next.stderr.slice(-2000)).toBe(0);
      // What the first run sent but could not record goes again under the same keys: each line once.
      expectEachLineOnce(world, written);
    },
    60_000,
  );

  it("--once past the file size limit (ulimit -f): its summary line, and one line saying EFBIG and what to raise, exit 1", async () => {
    world = await startWorld();
    await manyFiles(world, 200);
    const run = startDaemonWithUlimit("-f 16", ["--once", ...baseArgs(world)]);
    daemon = run;
    await waitFor(() => run.child.exitCode !== null, 30_000, "the run to exit");
    const result = await run.stop();
    expect(result.code, result.stderr.slice(-2000)).toBe(1);
    expect(result.stdout).toMatch(/^ship-logs: shipped files=200 .* failures=\d+\n$/);
    expect(result.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"))).toEqual([
      expect.stringMatching(
        /^ship-logs: could not ship everything: cannot write to state directory \S+: EFBIG \(the file size limit is too low: raise LimitFSIZE= or ulimit -f\); the next run resumes from the last saved state \(and \d+ more\)$/,
      ),
    ]);
  }, 60_000);

  it.skipIf(!canMount())(
    "a daemon started on a state dir too small for its checkpoints says so and runs on; once there is room, everything ships once",
    async () => {
      world = await worldOnTmpfs("size=64k,mode=0700");
      const written = await manyFiles(world, 400);
      const run = startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
      daemon = run;
      await run.waitForLog(/cannot save state at start/);
      await sleep(2_000);
      expect(run.child.exitCode, run.stderr().slice(-2000)).toBeNull();
      // No intent could be saved: nothing went up.
      expect(world.s3.listObjects("test-logs")).toEqual([]);
      execFileSync("mount", ["-o", "remount,size=4m", world.state]);
      await waitFor(() => [...linesInS3(world as World).values()].flat().length >= written.size, 30_000, "every line in S3");
      const result = await run.stop();
      expect(result.code, result.stderr.slice(-2000)).toBe(0);
      expect(logsMatching(result.stderr, /^cannot save state at start/)).toEqual([expect.objectContaining({ level: 50, code: "ENOSPC", stateDir: world.state })]);
      expect(result.stderr).not.toMatch(/internal error/);
      expectEachLineOnce(world, written);
      expect(rewrittenObjects(world)).toEqual([]);
    },
    60_000,
  );

  it.skipIf(!canMount())(
    "a full state dir (a 256 KiB tmpfs): checkpoints stop, the daemon says why (ENOSPC), and recovers when space returns",
    async () => {
      world = await worldOnTmpfs("size=256k,mode=0700");
      const filler = join(world.state, "filler");
      await survivesUnwritableState(
        world,
        startDaemon,
        // Fill every block: the write fails part way with ENOSPC, which is the point.
        () => writeFile(filler, Buffer.alloc(512 * 1024)).catch((error: NodeJS.ErrnoException) => expect(error.code).toBe("ENOSPC")),
        () => rm(filler),
        "ENOSPC",
      );
    },
    60_000,
  );
});
