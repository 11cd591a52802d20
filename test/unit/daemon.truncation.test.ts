import { appendFileSync, closeSync, mkdirSync, openSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import type { S3Object, S3Sink } from "../../src/sink/S3Sink.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { Semaphore } from "../../src/ship/Semaphore.js";
import { emptyStats, type ShipContext } from "../../src/ship/ShipContext.js";
import { StateSaver } from "../../src/ship/StateSaver.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";

describe("Daemon: files that shrink", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "daemon-truncation-"));
    mkdirSync(join(dir, "logs"));
    mkdirSync(join(dir, "state"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });


  function context(bodies: string[], logs: Array<{ msg: string; unreadBytes?: number }>): ShipContext {
    const state: ShipState = { files: [] };
    return {
      state,
      saver: new StateSaver(new StateStore(join(dir, "state")), state),
      sink: { put: async (object: S3Object) => void bodies.push(Buffer.from(object.body).toString("utf8")) } as S3Sink,
      slots: new Semaphore(4),
      buffers: new BatchBuffers(64 * 1024, 4),
      logger: pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string }) }),
      batchMaxBytes: 64 * 1024,
      compression: "none",
      compressionLevel: 6,
      keyFor: (checkpoint, start, end) => `${checkpoint.sourceId}/${start}-${end}`,
      stats: emptyStats(),
    };
  }

  const lines = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `line-${from + i}\n`).join("");

  it("a writer that reserves space ahead of its lines and gives it back (log4j2's memory-mapped appender): every line once, nothing said lost", async () => {
    const bodies: string[] = [];
    const logs: Array<{ msg: string }> = [];
    const log = join(dir, "logs", "app.log");
    writeFileSync(log, lines(1, 10));
    const daemon = new Daemon(context(bodies, logs), { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 1_000, tickMs: 50, rescanMs: 400, rotateWaitMs: 200 });
    await daemon.start();
    try {
      await expect.poll(() => bodies.join(""), { timeout: 4_000 }).toContain("line-10\n");
      // The next region is mapped: the file grows by zeros ahead of the lines written into it.
      let end = statSync(log).size;
      truncateSync(log, end + 4096);
      await sleep(300);
      const fd = openSync(log, "r+");
      const more = Buffer.from(lines(11, 20));
      writeSync(fd, more, 0, more.length, end);
      closeSync(fd);
      end += more.length;
      await expect.poll(() => bodies.join(""), { timeout: 4_000 }).toContain("line-20\n");
      // Closed: cut back to its last line, then written on.
      truncateSync(log, end);
      appendFileSync(log, lines(21, 22));
      await expect.poll(() => bodies.join(""), { timeout: 4_000 }).toContain("line-22\n");
      await sleep(1_500);
    } finally {
      await daemon.stop(2_000, new AbortController());
    }
    const shipped = bodies.join("").split("\n").filter((line) => line.startsWith("line-"));
    expect(shipped).toEqual(lines(1, 22).split("\n").filter(Boolean));
    expect(logs.map((record) => record.msg).filter((msg) => /truncated/.test(msg))).toEqual([]);
  }, 20_000);

  it("a shipped file truncated to nothing shows nothing pending", async () => {
    const bodies: string[] = [];
    const log = join(dir, "logs", "app.log");
    writeFileSync(log, "one\ntwo\n");
    const daemon = new Daemon(context(bodies, []), { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 3_000, tickMs: 50, rescanMs: 400, rotateWaitMs: 200 });
    await daemon.start();
    try {
      await expect.poll(() => bodies.join(""), { timeout: 6_000 }).toBe("one\ntwo\n");
      truncateSync(log, 0);
      await sleep(500);
      expect(daemon.files()).toMatchObject([{ bytesBehind: 0, pendingSince: undefined }]);
    } finally {
      await daemon.stop(2_000, new AbortController());
    }
  }, 20_000);

  it("ships the shorter content written after a second truncation within the flush interval, and says what was lost", async () => {
    const bodies: string[] = [];
    const logs: Array<{ msg: string; unreadBytes?: number }> = [];
    const state: ShipState = { files: [] };
    const ctx: ShipContext = {
      state,
      saver: new StateSaver(new StateStore(join(dir, "state")), state),
      sink: { put: async (object: S3Object) => void bodies.push(Buffer.from(object.body).toString("utf8")) } as S3Sink,
      slots: new Semaphore(4),
      buffers: new BatchBuffers(1024, 4),
      logger: pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string }) }),
      batchMaxBytes: 1024,
      compression: "none",
      compressionLevel: 6,
      keyFor: (checkpoint, start, end) => `${checkpoint.sourceId}/${start}-${end}`,
      stats: emptyStats(),
    };
    const log = join(dir, "logs", "app.log");
    writeFileSync(log, "");
    const daemon = new Daemon(ctx, { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 1_000, tickMs: 50, rescanMs: 400, rotateWaitMs: 200 });
    await daemon.start();
    try {
      appendFileSync(log, "0123456789abcdefghi\n");
      // Seen by a poll, not yet shipped (the flush interval is 1 s).
      await sleep(300);
      truncateSync(log, 0);
      appendFileSync(log, "end-k\n");
      await expect.poll(() => bodies.join(""), { timeout: 4_000 }).toBe("end-k\n");
      expect(logs.find((record) => record.msg === "file was truncated before all of it was read; those bytes are lost")?.unreadBytes).toBe(20);
    } finally {
      await daemon.stop(2_000, new AbortController());
    }
  }, 15_000);
});
