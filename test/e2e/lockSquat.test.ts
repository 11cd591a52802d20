import type { ChildProcess } from "node:child_process";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LEVEL, logRecords } from "../support/logRecords.js";
import { lockNameOf, startLockHolder, stopLockHolder } from "../support/lockHolder.js";
import { baseArgs, linesInS3, runCli, startDaemon, startWorld, waitFor, type DaemonProcess, type World } from "../support/world.js";
import { shareWorld, startDaemonAs, unprivileged, type Unprivileged } from "./hostileSupport.js";

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/**
 * SPEC: the state dir's lock cannot be taken from ship-logs by another local
 * user. Its abstract socket name has no permissions and is listed in
 * /proc/net/unix, so `nobody` can bind it while it is free (at a restart):
 * every later start used to end "another ship-logs (pid 1) is using it", and
 * systemd gave up restarting. A name held by a process that is not this
 * user's is said at warn and the run locks with <state>/lock.sock instead,
 * which still keeps a second ship-logs out.
 */
describe.skipIf(!asRoot)("a lock name squatted by another user (e2e, real CLI, as root)", () => {
  let world: World | undefined;
  let squatter: ChildProcess | undefined;
  let daemon: DaemonProcess | undefined;

  afterEach(async () => {
    await daemon?.stop("SIGKILL");
    await stopLockHolder(squatter);
    await world?.close();
    world = squatter = daemon = undefined;
  });

  async function squattedWorld(): Promise<World> {
    const made = (world = await startWorld());
    await mkdir(made.state, { mode: 0o700 });
    squatter = await startLockHolder(await lockNameOf(made.state), "1", { uid: NOBODY, gid: NOBODY });
    return made;
  }

  function squatWarnings(stderr: string): string[] {
    return logRecords(stderr)
      .filter((record) => record.level >= LEVEL.warn)
      .map((record) => String(record.msg));
  }

  it("--once ships and exits 0, with one warning naming the squatter", async () => {
    const w = await squattedWorld();
    await writeFile(join(w.logs, "app.log"), "one\ntwo\n");
    const run = await runCli(["--once", ...baseArgs(w)]);
    expect(run.code, run.stderr).toBe(0);
    expect(squatWarnings(run.stderr)).toEqual([
      `the state directory's lock name is held by something that is not a ship-logs of this user (pid ${squatter?.pid}, uid ${NOBODY}); locking with ${join(w.state, "lock.sock")} instead`,
    ]);
    expect(Object.fromEntries(linesInS3(w))).toEqual({ "app.log": ["one", "two"] });
  });

  it("a second ship-logs is refused while one holds lock.sock, also once the squatter has gone; one killed -9 leaves a lock.sock the next run takes over", async () => {
    const w = await squattedWorld();
    await writeFile(join(w.logs, "app.log"), "one\n");
    const running = startDaemon([...baseArgs(w), "--flush-interval", "60"]);
    daemon = running;
    await running.waitForLog(/"msg":"watching"/);
    const refusal = `ship-logs: cannot use state directory ${w.state}: another ship-logs (pid ${running.child.pid}) is using it`;

    const clash = await runCli(["--once", ...baseArgs(w)]);
    expect(clash.code, clash.stderr).toBe(1);
    expect(clash.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"))).toEqual([refusal]);

    // Gone (or killed by an operator who read the warning): the name is free, the daemon still runs.
    await stopLockHolder(squatter);
    const afterSquat = await runCli(["--once", ...baseArgs(w)]);
    expect(afterSquat.code, afterSquat.stderr).toBe(1);
    expect(afterSquat.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"))).toEqual([refusal]);

    // Squatted again, and the daemon killed: its lock.sock stays, nobody answers on it.
    squatter = await startLockHolder(await lockNameOf(w.state), "1", { uid: NOBODY, gid: NOBODY });
    await running.stop("SIGKILL");
    daemon = undefined;
    expect((await stat(join(w.state, "lock.sock"))).isSocket()).toBe(true);
    await writeFile(join(w.logs, "late.log"), "late\n");
    const next = await runCli(["--once", ...baseArgs(w)]);
    expect(next.code, next.stderr).toBe(0);
    expect(squatWarnings(next.stderr)).toHaveLength(1);
    expect(linesInS3(w).get("late.log")).toEqual(["late"]);
  });

  it.skipIf(unprivileged === undefined)(
    "a service user cannot see who holds the name: squatted by another user, it runs on lock.sock; root beside a daemon of the state dir's owner is refused, naming it",
    async () => {
      const user = unprivileged as Unprivileged;
      const w = (world = await startWorld());
      await shareWorld(w, user);
      await writeFile(join(w.logs, "app.log"), "one\n");
      // Root is another user to `nobody`, whose ship-logs cannot read root's descriptors.
      squatter = await startLockHolder(await lockNameOf(w.state), "1");
      const once = startDaemonAs(user, ["--once", ...baseArgs(w)]);
      daemon = once;
      await waitFor(() => once.child.exitCode !== null, 20_000, "the --once run to exit");
      const result = await once.stop();
      daemon = undefined;
      expect(result.code, result.stderr).toBe(0);
      expect(squatWarnings(result.stderr)).toEqual([
        `the state directory's lock name is held by something that is not a ship-logs of this user (no process of this user holds it); locking with ${join(w.state, "lock.sock")} instead`,
      ]);
      expect(Object.fromEntries(linesInS3(w))).toEqual({ "app.log": ["one"] });

      await stopLockHolder(squatter);
      const running = startDaemonAs(user, [...baseArgs(w), "--flush-interval", "60"]);
      daemon = running;
      await running.waitForLog(/"msg":"watching"/);
      const clash = await runCli(["--once", ...baseArgs(w)]);
      expect(clash.code, clash.stderr).toBe(1);
      expect(clash.stderr.trimEnd().split("\n").filter((line) => !line.startsWith("{"))).toEqual([
        `ship-logs: cannot use state directory ${w.state}: another ship-logs (pid ${running.child.pid}) is using it`,
      ]);
    },
    60_000,
  );
});
