import { appendFileSync, copyFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { appendFile, copyFile, mkdir, mkdtemp, rename, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import type { S3Object, S3Sink } from "../../src/sink/S3Sink.js";
import { Daemon, type DaemonOptions } from "../../src/ship/Daemon.js";
import { Semaphore } from "../../src/ship/Semaphore.js";
import { emptyStats, type ShipContext } from "../../src/ship/ShipContext.js";
import { StateSaver } from "../../src/ship/StateSaver.js";
import { moveCheckpoint, type FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { fingerprintOf } from "../../src/source/fingerprint.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";

/*
 * The daemon against an in-process sink, at start, at stop and around
 * rotations: the moments these tests need (a file written between two polls,
 * replays stuck on upload slots, a state save failing mid-tick, a freed inode
 * handed to the next copy) cannot be placed from outside the process.
 */

interface Harness {
  ctx: ShipContext;
  state: ShipState;
  /** Bodies the sink accepted, in order. */
  bodies: string[];
  /** Log lines, as pino wrote them. */
  logs: string[];
  /** While true, every state save fails with ENOSPC. */
  failSaves: boolean;
}

/** A new checkpoint of the file at `path`, as the daemon would make on first seeing it. */
async function checkpointOf(path: string): Promise<FileCheckpoint> {
  const file = await openFile(path);
  try {
    return await freshCheckpoint(file);
  } finally {
    await file.handle.close();
  }
}

/** The first buffer asked for fails, as a read error would. */
class FailingOnceBuffers extends BatchBuffers {
  private failed = false;

  override async take(): Promise<Buffer> {
    if (this.failed) return super.take();
    this.failed = true;
    throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
  }
}

describe("Daemon, in process", () => {
  let dir: string;
  let logs: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "daemon-stop-"));
    logs = join(dir, "logs");
    await mkdir(logs);
    await mkdir(join(dir, "state"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function harness(put: (object: S3Object) => Promise<void> = async () => undefined): Harness {
    const state: ShipState = { files: [] };
    const saver = new StateSaver(new StateStore(join(dir, "state")), state);
    const h: Harness = {
      state,
      bodies: [],
      logs: [],
      failSaves: false,
      ctx: {
        state,
        saver: {
          persist: () => (h.failSaves ? Promise.reject(Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" })) : saver.persist()),
        } as StateSaver,
        sink: {
          put: async (object: S3Object) => {
            await put(object);
            h.bodies.push(Buffer.from(object.body).toString("utf8"));
          },
        } as S3Sink,
        slots: new Semaphore(4),
        buffers: new BatchBuffers(1024, 4),
        logger: pino({ level: "info" }, { write: (line: string) => void h.logs.push(line) }),
        batchMaxBytes: 1024,
        compression: "none",
        compressionLevel: 6,
        keyFor: (checkpoint, start, end) => `${checkpoint.sourceId}/${start}-${end}`,
        stats: emptyStats(),
      },
    };
    return h;
  }

  function daemonOf(h: Harness, options: Partial<DaemonOptions> = {}): Daemon {
    return new Daemon(h.ctx, { patterns: [join(logs, "*.log")], flushIntervalMs: 100, tickMs: 50, rescanMs: 600_000, ...options });
  }

  async function waitFor(condition: () => boolean, what: string): Promise<void> {
    for (const deadline = Date.now() + 5_000; !condition(); await sleep(20)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    }
  }

  it("a line waits --flush-interval, not until the next tick after it: a timer at the deadline polls the files due", async () => {
    const h = harness();
    await appendFile(join(logs, "a.log"), "");
    // Ticks at 2.5 s and 5 s after the start; the line, written 0.3 s after
    // it (the watcher is up), is due at 3.3 s: the tick at 2.5 s sets the
    // timer; the one at 5 s would be 1.7 s late.
    const daemon = daemonOf(h, { flushIntervalMs: 3_000, tickMs: 2_500 });
    await daemon.start();
    try {
      await sleep(300);
      const writtenAt = Date.now();
      await appendFile(join(logs, "a.log"), "a1\n");
      await waitFor(() => h.bodies.length > 0, "the line uploaded");
      const waited = Date.now() - writtenAt;
      expect(h.bodies).toEqual(["a1\n"]);
      // Not before the interval either: it is also the least time between a file's PUTs.
      expect(waited).toBeGreaterThanOrEqual(2_950);
      expect(waited).toBeLessThan(3_700);
    } finally {
      await daemon.stop(1_000, new AbortController());
    }
  });

  it("at the descriptor bound, the stop's last look does not close a followed file whose last lines it has not read", async () => {
    const h = harness();
    await appendFile(join(logs, "a.log"), "a1\n");
    const daemon = daemonOf(h, { maxOpenFiles: 1 });
    await daemon.start();
    await waitFor(() => h.bodies.join("") === "a1\n", "a1");
    // Quiet long enough to be the idle file that makes room for a new one.
    await sleep(5_300);
    // Written right before the signal: no event or tick has seen either yet.
    appendFileSync(join(logs, "a.log"), "a2\n");
    writeFileSync(join(logs, "b.log"), "b1\n");
    await daemon.stop(10_000, new AbortController());
    expect(h.bodies.join("")).toContain("a2\n");
  }, 15_000);

  it("start() does not wait for replayed uploads stuck on upload slots, and a stop still ends at its timeout with the intents kept", async () => {
    const abort = new AbortController();
    // An S3 that never answers until the stop aborts the requests.
    const h = harness(
      () =>
        new Promise<void>((_, reject) => {
          if (abort.signal.aborted) reject(new Error("aborted"));
          abort.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
        }),
    );
    for (const name of ["a", "b", "c", "d", "e", "f"]) {
      const path = join(logs, `${name}.log`);
      await appendFile(path, `${name}1\n`);
      const checkpoint = await checkpointOf(path);
      checkpoint.pending.push({ start: 0, end: 3, key: `recorded/${name}` });
      h.state.files.push(checkpoint);
    }
    const daemon = daemonOf(h);
    const started = await Promise.race([daemon.start().then(() => true), sleep(3_000).then(() => false)]);
    expect(started, "start() returned while four replays hold the four upload slots").toBe(true);

    const stoppedAt = Date.now();
    await daemon.stop(500, abort);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(h.bodies).toEqual([]);
    expect(h.state.files.map((checkpoint) => checkpoint.pending.map((intent) => intent.key)).sort()).toEqual(
      ["a", "b", "c", "d", "e", "f"].map((name) => [`recorded/${name}`]),
    );
  });

  it("a replay that fails at start is tried again, and nothing new is acknowledged past the intents it had to send", async () => {
    const h = harness();
    h.ctx.buffers = new FailingOnceBuffers(1024, 4);
    const path = join(logs, "a.log");
    await appendFile(path, "a1\na2\n");
    const checkpoint = await checkpointOf(path);
    checkpoint.pending.push({ start: 0, end: 3, key: "recorded/0-3" }, { start: 3, end: 6, key: "recorded/3-6" });
    h.state.files.push(checkpoint);
    const daemon = daemonOf(h);
    await daemon.start();
    await appendFile(path, "a3\n");
    // Retried 5 s later by a new shipper: the recorded intents go first.
    await sleep(5_500);
    await waitFor(() => checkpoint.offset === 9, "every line acknowledged");
    await daemon.stop(2_000, new AbortController());
    expect(h.logs.filter((line) => line.includes("cannot ship this file for now") && line.includes("EIO"))).toHaveLength(1);
    expect(checkpoint.pending).toEqual([]);
    expect([...h.bodies].sort()).toEqual(["a1\n", "a2\n", "a3\n"]);
  }, 15_000);

  it("at start, a rotated file written since is finished where it is; a file taken out of --watch is not read again", async () => {
    const h = harness();
    for (const [name, rotated] of [["app.log.1", true], ["dropped.log", false]] as const) {
      const path = join(logs, name);
      await appendFile(path, "shipped\n");
      const checkpoint = await checkpointOf(path);
      h.state.files.push({ ...checkpoint, offset: 8, ...(rotated ? { rotated } : {}) });
      await appendFile(path, `${name} grew\n`);
    }
    const daemon = daemonOf(h, { patterns: [join(logs, "app.log")] });
    await daemon.start();
    await waitFor(() => h.bodies.length > 0, "the rotated file's new line");
    await daemon.stop(2_000, new AbortController());
    expect(h.bodies).toEqual(["app.log.1 grew\n"]);
  });

  it("at start, a file taken out of --watch sends the uploads recorded while it was watched, under their keys, and nothing past them", async () => {
    const keys: string[] = [];
    const h = harness(async (object) => void keys.push(object.key));
    const path = join(logs, "dropped.log");
    await appendFile(path, "shipped\nrecorded\n");
    const checkpoint: FileCheckpoint = { ...(await checkpointOf(path)), offset: 8, pending: [{ start: 8, end: 17, key: "recorded-key", compression: "none" }] };
    h.state.files.push(checkpoint);
    await appendFile(path, "after1\n");
    const daemon = daemonOf(h, { patterns: [join(logs, "app.log")], rotateWaitMs: 200, rescanMs: 150 });
    await daemon.start();
    await waitFor(() => h.bodies.length > 0, "the recorded upload");
    // Written on through ticks, flush intervals, the release and rescans.
    for (let i = 2; i <= 6; i++) {
      await appendFile(path, `after${i}\n`);
      await sleep(150);
    }
    await daemon.stop(2_000, new AbortController());
    expect(keys).toEqual(["recorded-key"]);
    expect(h.bodies).toEqual(["recorded\n"]);
    expect(checkpoint).toMatchObject({ offset: 17, pending: [] });
    expect(h.logs.filter((line) => line.includes("no longer matched by --watch: sending its 1 recorded upload(s), then leaving it"))).toHaveLength(1);
    expect(h.logs.filter((line) => line.includes("rotated away"))).toEqual([]);
  });

  it("at start, a rotated file with recorded uploads, at a path no glob matches, sends them and is read to its end", async () => {
    const h = harness();
    const path = join(logs, "app.log.1");
    await appendFile(path, "shipped\nrecorded\n");
    h.state.files.push({ ...(await checkpointOf(path)), offset: 8, pending: [{ start: 8, end: 17, key: "recorded-key", compression: "none" }], rotated: true });
    await appendFile(path, "unread\n");
    const daemon = daemonOf(h, { patterns: [join(logs, "app.log")] });
    await daemon.start();
    await waitFor(() => h.bodies.length > 1, "the rotated file's unread line");
    await daemon.stop(2_000, new AbortController());
    expect(h.bodies).toEqual(["recorded\n", "unread\n"]);
  });

  it("at start, a watched file moved out of reach while stopped (olddir) is warned about with the byte its lost lines start at; a rotated file deleted is not", async () => {
    const h = harness();
    const app = join(logs, "app.log");
    const rotated = join(logs, "app.log.1");
    await appendFile(app, "a1\n");
    await appendFile(rotated, "r1\n");
    h.state.files.push({ ...(await checkpointOf(app)), offset: 3 }, { ...(await checkpointOf(rotated)), offset: 3, rotated: true });
    await appendFile(app, "a2, never read\n");
    await mkdir(join(logs, "old"));
    await rename(app, join(logs, "old", "app.log.1"));
    await appendFile(app, "n1\n");
    unlinkSync(rotated);
    const daemon = daemonOf(h);
    await daemon.start();
    await waitFor(() => h.bodies.length > 0, "the new app.log");
    await daemon.stop(2_000, new AbortController());
    const warned = h.logs.filter((line) => line.includes("file is gone"));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0] as string)).toMatchObject({ level: 40, path: app, readTo: 3 });
    expect(warned[0]).toContain("after byte 3 could not be shipped");
    expect(h.bodies).toEqual(["n1\n"]);
  });

  it("a file out of --watch, renamed by logrotate: only its recorded upload goes, under its key, not the lines written since", async () => {
    const keys: string[] = [];
    const h = harness(async (object) => void keys.push(object.key));
    const path = join(logs, "dropped.log");
    await appendFile(path, "shipped\nrecorded\n");
    h.state.files.push({ ...(await checkpointOf(path)), offset: 8, pending: [{ start: 8, end: 17, key: "recorded-key", compression: "none" }] });
    await appendFile(path, "secret after unwatch\n");
    await rename(path, `${path}.1`);
    const daemon = daemonOf(h, { patterns: [join(logs, "app.log")], rotateWaitMs: 200, rescanMs: 150 });
    await daemon.start();
    await waitFor(() => h.bodies.length > 0, "the recorded upload");
    await appendFile(`${path}.1`, "more after unwatch\n");
    await sleep(600);
    await daemon.stop(2_000, new AbortController());
    expect(keys).toEqual(["recorded-key"]);
    expect(h.bodies).toEqual(["recorded\n"]);
  });

  it("a file out of --watch with a recorded upload, copied and truncated while stopped: the upload goes from the copy, and nothing past it", async () => {
    const keys: string[] = [];
    const h = harness(async (object) => void keys.push(object.key));
    const path = join(logs, "dropped.log");
    await appendFile(path, "shipped\nrecorded\n");
    const print = await checkpointOf(path);
    const head = fingerprintOf(Buffer.from("shipped\n"));
    h.state.files.push({ ...print, offset: 8, fingerprintLength: head.length, fingerprint: head.hash, pending: [{ start: 8, end: 17, key: "recorded-key", compression: "none" }] });
    await appendFile(path, "secret after unwatch\n");
    await copyFile(path, `${path}.1`);
    await truncate(path, 0);
    await appendFile(path, "n1\n");
    const daemon = daemonOf(h, { patterns: [join(logs, "app.log")], rotateWaitMs: 200, rescanMs: 150 });
    await daemon.start();
    await waitFor(() => h.bodies.length > 0, "the recorded upload, from the copy");
    await sleep(600);
    await daemon.stop(2_000, new AbortController());
    expect(keys).toEqual(["recorded-key"]);
    expect(h.bodies).toEqual(["recorded\n"]);
  });

  it("a drained file closed at the descriptor bound, then deleted: no 'file is gone' warning, nothing of it was lost", async () => {
    const h = harness();
    const old = join(logs, "old.log");
    await appendFile(old, "o1\n");
    const daemon = daemonOf(h, { maxOpenFiles: 1, rescanMs: 150 });
    await daemon.start();
    try {
      await waitFor(() => h.bodies.length > 0, "o1");
      // Idle for IDLE_CLOSE_MS (5 s), then a new file takes its descriptor.
      await sleep(5_300);
      await appendFile(join(logs, "new.log"), "n1\n");
      await waitFor(() => h.bodies.length > 1, "n1");
      unlinkSync(old);
      await waitFor(() => !h.state.files.some((checkpoint) => checkpoint.path === old), "the deleted file's checkpoint to go");
    } finally {
      await daemon.stop(2_000, new AbortController());
    }
    expect(h.logs.filter((line) => line.includes("file is gone"))).toEqual([]);
  }, 15_000);

  it("a followed file deleted while the daemon runs is read to its end and let go without a warning", async () => {
    const h = harness();
    const app = join(logs, "app.log");
    await appendFile(app, "a1\n");
    const daemon = daemonOf(h, { rotateWaitMs: 100, rescanMs: 150 });
    await daemon.start();
    await waitFor(() => h.bodies.length > 0, "a1");
    await appendFile(app, "a2\n");
    unlinkSync(app);
    await waitFor(() => h.state.files.length === 0, "the deleted file's checkpoint to go");
    await sleep(300);
    await daemon.stop(2_000, new AbortController());
    expect(h.bodies.join("")).toBe("a1\na2\n");
    expect(h.logs.filter((line) => line.includes("file is gone"))).toEqual([]);
  });

  it("at start, a copytruncate copy that the run before moved a checkpoint to, and was killed, is finished", async () => {
    const h = harness();
    const copy = join(logs, "app.log-1");
    await appendFile(copy, "a1\na2\n");
    const checkpoint = await checkpointOf(copy);
    // The checkpoint of app.log, moved onto its copy after a1 was acknowledged.
    const moved = { ...checkpoint, path: join(logs, "app.log"), dev: "0", ino: "0", offset: 3 };
    moveCheckpoint(moved, { path: copy, dev: checkpoint.dev, ino: checkpoint.ino }, true);
    h.state.files.push(moved);
    await appendFile(join(logs, "app.log"), "");
    const daemon = daemonOf(h, { patterns: [join(logs, "app.log")] });
    await daemon.start();
    await waitFor(() => h.bodies.length > 0, "a2 from the copy");
    await daemon.stop(2_000, new AbortController());
    expect(h.bodies).toEqual(["a2\n"]);
  });

  it("copytruncate with rotate 1, the new copy given the deleted copy's inode: the lines not read yet come from it", async () => {
    const h = harness();
    const app = join(logs, "app.log");
    const copy = join(logs, "app.log.1");
    writeFileSync(app, "c1-shipped\n");
    const daemon = daemonOf(h, { patterns: [app], flushIntervalMs: 1_500, rotateWaitMs: 200, rescanMs: 400 });
    await daemon.start();
    await waitFor(() => h.bodies.join("").includes("c1-shipped"), "c1-shipped");
    appendFileSync(app, "c1-unread\n");
    copyFileSync(app, copy);
    truncateSync(app, 0);
    await waitFor(() => h.bodies.join("").includes("c1-unread"), "c1-unread from the first copy");
    // The copy drained and let go; its checkpoint stays while it exists.
    await sleep(1_000);
    appendFileSync(app, "c2-shipped\n");
    await waitFor(() => h.bodies.join("").includes("c2-shipped"), "c2-shipped");
    appendFileSync(app, "c2-unread\n");
    // logrotate's next run with rotate 1: the old copy removed, a new one made.
    // ext4 often hands the new copy the inode just freed; try until it does.
    const freed = statSync(copy).ino;
    let reused = false;
    for (let attempt = 0; attempt < 200 && !reused; attempt += 1) {
      unlinkSync(copy);
      copyFileSync(app, copy);
      reused = statSync(copy).ino === freed;
    }
    truncateSync(app, 0);
    await waitFor(() => h.bodies.join("").includes("c2-unread"), `c2-unread from the second copy (inode reused: ${reused})`);
    await daemon.stop(2_000, new AbortController());
    expect(h.bodies.join("").split("\n").filter(Boolean).sort()).toEqual(["c1-shipped", "c1-unread", "c2-shipped", "c2-unread"]);
  }, 20_000);

  it("a rotated file let go and then written again by a writer that has not reopened ships its new lines at the next rescan", async () => {
    const h = harness();
    const app = join(logs, "app.log");
    const rotated = join(logs, "app.log.1");
    writeFileSync(app, "l1\n");
    const daemon = daemonOf(h, { patterns: [app], rotateWaitMs: 200, rescanMs: 300 });
    await daemon.start();
    await waitFor(() => h.bodies.join("").includes("l1"), "l1");
    renameSync(app, rotated);
    writeFileSync(app, "n1\n");
    await waitFor(() => h.bodies.join("").includes("n1"), "n1");
    // Drained and quiet past rotateWaitMs: let go.
    await sleep(1_000);
    appendFileSync(rotated, "l2-late\n");
    await waitFor(() => h.bodies.join("").includes("l2-late"), "l2-late while the daemon runs");
    await daemon.stop(2_000, new AbortController());
    expect(h.bodies.join("").split("\n").filter(Boolean).sort()).toEqual(["l1", "l2-late", "n1"]);
  }, 20_000);

  it("a file renamed away and back is followed at its path again, at the flush interval, not a PUT a tick", async () => {
    const h = harness();
    const app = join(logs, "app.log");
    writeFileSync(app, "x0\n");
    const daemon = daemonOf(h, { flushIntervalMs: 3_000, tickMs: 50, rescanMs: 300 });
    await daemon.start();
    await waitFor(() => h.bodies.length === 1, "x0");
    renameSync(app, join(logs, "app.tmp"));
    await sleep(200);
    renameSync(join(logs, "app.tmp"), app);
    // A file event or the next rescan finds it at its path again.
    await sleep(500);
    const before = h.bodies.length;
    for (let i = 0; i < 25; i += 1) {
      appendFileSync(app, `y${i}\n`);
      await sleep(100);
    }
    const puts = h.bodies.length - before;
    await daemon.stop(2_000, new AbortController());
    expect(puts, "PUTs in 2.5 s with a 3 s flush interval").toBeLessThanOrEqual(1);
    expect(h.bodies.join("").split("\n").filter(Boolean)).toEqual(["x0", ...Array.from({ length: 25 }, (_, i) => `y${i}`)]);
  });

  it("a state save that fails during a tick or at the stop is logged, and the daemon goes on and stops", async () => {
    const h = harness();
    await appendFile(join(logs, "a.log"), "a1\n");
    const daemon = daemonOf(h, { rotateWaitMs: 100 });
    await daemon.start();
    await waitFor(() => h.bodies.join("") === "a1\n", "a1");
    h.failSaves = true;
    // Rotated away and drained: the tick lets it go and saves the state.
    await rename(join(logs, "a.log"), join(logs, "a.log.1"));
    await waitFor(() => h.logs.some((line) => line.includes("a poll of the files failed")), "the failed save to be logged");
    // Nothing uploads while saves fail (an intent is saved before its PUT); once they work again, files ship.
    h.failSaves = false;
    await appendFile(join(logs, "b.log"), "b1\n");
    await waitFor(() => h.bodies.includes("b1\n"), "b1, shipped after the failure");

    h.failSaves = true;
    await daemon.stop(2_000, new AbortController());
    expect(h.logs.some((line) => line.includes("cannot save state at stop") && line.includes("ENOSPC"))).toBe(true);
  });
});
