import { chmod, mkdir, readFile, rename, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { LineWriter } from "../support/LineWriter.js";
import { logsMatching } from "../support/logRecords.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, linesBySource, linesInS3, startDaemon, startWorld, waitFor, type DaemonProcess, type World } from "../support/world.js";
import { rewrittenObjects, shareWorld, sleep, startDaemonAs, unprivileged } from "./hostileSupport.js";

/** The paths of the checkpoints in state.json. */
async function checkpointPaths(world: World): Promise<string[]> {
  const text = await readFile(join(world.state, "state.json"), "utf8").catch(() => '{"files":[]}');
  return (JSON.parse(text) as { files: Array<{ path: string }> }).files.map((file) => file.path);
}

/**
 * Creates files in `dir` until one gets inode number `ino` and renames it to
 * `target` (ext4 hands a freed number out again once its journal commits, so
 * this tries for a few seconds); without such luck `target` is just a new file.
 */
async function renameToReuse(dir: string, ino: number, target: string): Promise<void> {
  const probe = join(dir, "probe.tmp");
  for (let i = 0; i < 60; i += 1) {
    await writeFile(probe, "");
    if ((await stat(probe)).ino === ino) {
      await rename(probe, target);
      return;
    }
    await unlink(probe);
    await sleep(100);
  }
  await writeFile(target, "");
}

/**
 * Issue 7, case 4: files that misbehave. One the shipper may not read, one deleted
 * while it is being read, one reached through a symlink (and a symlink swapped to a
 * new target), and a directory that only appears after the start.
 */
describe("hostile world: bad files (e2e, real CLI, issue 7)", () => {
  let world: World | undefined;
  let daemon: DaemonProcess | undefined;
  const writers: LineWriter[] = [];

  afterEach(async () => {
    for (const writer of writers.splice(0)) writer.stop();
    await daemon?.stop("SIGKILL");
    await world?.close();
    world = daemon = undefined;
  });

  // Root reads any file whatever its mode: the daemon runs as nobody then (setpriv).
  it.skipIf(unprivileged === undefined)(
    "an unreadable file is reported once and retried; the others keep flowing; it ships once readable",
    async () => {
      const user = unprivileged!;
      world = await startWorld();
      await shareWorld(world, user);
      const ok = new LineWriter(join(world.logs, "ok.log"), "ok");
      const secret = new LineWriter(join(world.logs, "secret.log"), "secret");
      writers.push(ok, secret);
      ok.write();
      secret.write();
      await chmod(ok.path, 0o644);
      await chmod(secret.path, 0o000);

      daemon = startDaemonAs(user, [...baseArgs(world), "--flush-interval", "0.5"]);
      await daemon.waitForLog(/"msg":"cannot read; will retry"/);
      ok.start(100);
      secret.start(100);
      // Past a rescan (10 s), with write events for the unreadable file all along.
      await sleep(12_000);
      expect(linesInS3(world).get("ok.log")?.length ?? 0).toBeGreaterThan(50);
      expect(linesInS3(world).has("secret.log")).toBe(false);

      await chmod(secret.path, 0o644);
      await waitForLinesInS3(world, "secret.log", secret.lines.length, 15_000);
      ok.stop();
      secret.stop();
      await waitForLinesInS3(world, "ok.log", ok.lines.length, 10_000);
      await waitForLinesInS3(world, "secret.log", secret.lines.length, 10_000);
      const result = await daemon.stop();
      expect(result.code, result.stderr).toBe(0);
      expectShippedExactlyOnce(world, "ok.log", ok.lines);
      expectShippedExactlyOnce(world, "secret.log", secret.lines);

      const cannot = logsMatching(result.stderr, /^cannot read; will retry$/);
      expect(cannot).toHaveLength(1);
      expect(cannot[0]).toMatchObject({ level: 50, path: secret.path, code: "EACCES" });
      expect(logsMatching(result.stderr, /^file is readable now$/)).toEqual([expect.objectContaining({ path: secret.path })]);
      await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
    },
    60_000,
  );

  it("a file deleted while being read is read to its end through its descriptor", async () => {
    world = await startWorld();
    const path = join(world.logs, "app.log");
    const lines = Array.from({ length: 20_000 }, (_, i) => `deleted-while-read ${String(i).padStart(6, "0")} ${"y".repeat(80)}`);
    await writeFile(path, `${lines.join("\n")}\n`);
    // S3 refuses for the first seconds: the upload slots fill, reading pauses
    // after the first batches, and most of the file is read after the unlink.
    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown", forMs: 3_000 });
    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.5", "--batch-max-bytes", "65536", "--compression", "none"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await unlink(path);
    await daemon.waitForLog(/"msg":"file rotated or deleted; reading the old one to its end"/);
    await waitForLinesInS3(world, "app.log", lines.length, 30_000);
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expectShippedExactlyOnce(world, "app.log", lines);
    expect(logsMatching(result.stderr, /file rotated or deleted/)).toEqual([expect.objectContaining({ path, replaced: false })]);
    expect(logsMatching(result.stderr, /gone with unconfirmed uploads|lost/)).toEqual([]);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);

  it("a symlinked log ships under the link's name; a second link to a watched file ships nothing twice; a swapped link is followed", async () => {
    world = await startWorld();
    const real = join(world.dir, "real");
    await mkdir(real);
    // app.log -> ../real/app-1.log (outside the glob); latest.log -> svc.log (both matched).
    const first = new LineWriter(join(real, "app-1.log"), "first");
    const svc = new LineWriter(join(world.logs, "svc.log"), "svc");
    writers.push(first, svc);
    first.write();
    svc.write();
    await symlink(join(real, "app-1.log"), join(world.logs, "app.log"));
    await symlink("svc.log", join(world.logs, "latest.log"));

    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await daemon.waitForLog(/"msg":"watching"/);
    first.start(100);
    svc.start(100);
    await sleep(2_000);
    first.stop();

    // Swap the link to a new target, as a "current" link is swapped at rotation.
    const second = new LineWriter(join(real, "app-2.log"), "second");
    writers.push(second);
    second.write();
    await symlink(join(real, "app-2.log"), join(world.logs, "app.tmp"));
    await rename(join(world.logs, "app.tmp"), join(world.logs, "app.log"));
    second.start(100);
    await sleep(2_000);
    second.stop();
    svc.stop();

    const expected = [...first.lines, ...second.lines];
    await waitFor(() => (linesInS3(world!).get("app.log")?.length ?? 0) >= expected.length, 20_000, "both targets' lines under app.log");
    await waitFor(
      () => (linesInS3(world!).get("svc.log")?.length ?? 0) + (linesInS3(world!).get("latest.log")?.length ?? 0) >= svc.lines.length,
      20_000,
      "svc.log's lines",
    );
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    const bySource = [...linesBySource(world).values()];
    // Each identity once, in order, whichever of its names carried it.
    expect(bySource).toHaveLength(3);
    expect(bySource).toEqual(expect.arrayContaining([first.lines, second.lines, svc.lines]));
    expect(rewrittenObjects(world)).toEqual([]);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);

  it("a rotated file deleted after it shipped leaves no checkpoint behind (the state does not grow per rotation)", async () => {
    world = await startWorld();
    const log = join(world.logs, "app.log");
    const old = new LineWriter(log, "old");
    writers.push(old);
    old.write();
    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await waitForLinesInS3(world, "app.log", 1, 15_000);
    old.write();
    await rename(log, `${log}.1`);
    const current = new LineWriter(log, "current");
    writers.push(current);
    current.start(200);
    // Drained and quiet for 5 s, the rotated file is let go; its checkpoint stays while it exists.
    await waitFor(async () => (await checkpointPaths(world!)).includes(`${log}.1`), 20_000, "the checkpoint of app.log.1");
    const freed = (await stat(`${log}.1`)).ino;
    await unlink(`${log}.1`);
    // A new file with the inode number just freed (ext4 hands it out again
    // soon; try a few): the daemon must not take it for a truncated app.log.1.
    const other = new LineWriter(join(world.logs, "other.log"), "other");
    writers.push(other);
    await renameToReuse(world.logs, freed, other.path);
    other.write();
    // The next rescan (every 10 s) finds it gone; the next save drops it.
    await waitFor(async () => !(await checkpointPaths(world!)).includes(`${log}.1`), 25_000, "app.log.1's checkpoint to go");
    current.stop();
    await waitForLinesInS3(world, "app.log", old.lines.length + current.lines.length, 10_000);
    await waitForLinesInS3(world, "other.log", 1, 10_000);
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expect((await checkpointPaths(world)).sort()).toEqual([log, other.path]);
    expect([...linesBySource(world).values()]).toEqual(expect.arrayContaining([old.lines, current.lines, other.lines]));
    expect(logsMatching(result.stderr, /truncated|gone with unconfirmed/)).toEqual([]);
    expect(rewrittenObjects(world)).toEqual([]);
  }, 60_000);

  it("a directory that appears after the start is picked up (glob logs/*/app.log)", async () => {
    world = await startWorld();
    daemon = startDaemon([...baseArgs(world, join(world.logs, "*", "app.log")), "--flush-interval", "0.5"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await sleep(500);
    const made: LineWriter[] = [];
    for (const service of ["svc-a", "svc-b"]) {
      await mkdir(join(world.logs, service));
      const writer = new LineWriter(join(world.logs, service, "app.log"), service);
      writers.push(writer);
      made.push(writer);
      writer.start(100);
      await sleep(1_500);
    }
    for (const writer of made) writer.stop();
    const total = made.reduce((sum, writer) => sum + writer.lines.length, 0);
    // Found by the watcher at once, or by the 10 s rescan at the latest.
    await waitFor(() => (linesInS3(world!).get("app.log")?.length ?? 0) >= total, 25_000, "both new directories' lines");
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expect([...linesBySource(world).values()]).toEqual(expect.arrayContaining(made.map((writer) => writer.lines)));
    expect(linesBySource(world).size).toBe(2);
    expect(rewrittenObjects(world)).toEqual([]);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);
});
