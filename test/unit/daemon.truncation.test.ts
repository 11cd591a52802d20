import { appendFileSync, closeSync, mkdirSync, openSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { StateStore } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";
import { inProcessSink } from "../support/inProcessSink.js";

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


  /** A daemon over dir/logs, its objects' bodies in order, and its log records. */
  function daemonOf(flushIntervalMs: number): { daemon: Daemon; bodies: () => string; logs: Array<{ msg: string; unreadBytes?: number }> } {
    const logs: Array<{ msg: string; unreadBytes?: number }> = [];
    const { sink, received } = inProcessSink();
    const ctx = inProcessContext(new StateStore(join(dir, "state")), { files: [] }, {
      sink,
      buffers: new BatchBuffers(64 * 1024, 4),
      batchMaxBytes: 64 * 1024,
      logger: pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string }) }),
    });
    const daemon = new Daemon(ctx, { patterns: [join(dir, "logs", "*.log")], flushIntervalMs, tickMs: 50, rescanMs: 400, rotateWaitMs: 200 });
    return { daemon, bodies: () => received.map((object) => object.body.toString("utf8")).join(""), logs };
  }

  const lines = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `line-${from + i}\n`).join("");

  it("a writer that reserves space ahead of its lines and gives it back (log4j2's memory-mapped appender): every line once, nothing said lost", async () => {
    const log = join(dir, "logs", "app.log");
    writeFileSync(log, lines(1, 10));
    const { daemon, bodies, logs } = daemonOf(1_000);
    await daemon.start();
    try {
      await expect.poll(() => bodies(), { timeout: 4_000 }).toContain("line-10\n");
      // The next region is mapped: the file grows by zeros ahead of the lines written into it.
      let end = statSync(log).size;
      truncateSync(log, end + 4096);
      await sleep(300);
      const fd = openSync(log, "r+");
      const more = Buffer.from(lines(11, 20));
      writeSync(fd, more, 0, more.length, end);
      closeSync(fd);
      end += more.length;
      await expect.poll(() => bodies(), { timeout: 4_000 }).toContain("line-20\n");
      // Closed: cut back to its last line, then written on.
      truncateSync(log, end);
      appendFileSync(log, lines(21, 22));
      await expect.poll(() => bodies(), { timeout: 4_000 }).toContain("line-22\n");
      await sleep(1_500);
    } finally {
      await daemon.stop(2_000, new AbortController());
    }
    const shipped = bodies().split("\n").filter((line) => line.startsWith("line-"));
    expect(shipped).toEqual(lines(1, 22).split("\n").filter(Boolean));
    expect(logs.map((record) => record.msg).filter((msg) => /truncated/.test(msg))).toEqual([]);
  }, 20_000);

  it("a shipped file truncated to nothing shows nothing pending", async () => {
    const log = join(dir, "logs", "app.log");
    writeFileSync(log, "one\ntwo\n");
    const { daemon, bodies } = daemonOf(3_000);
    await daemon.start();
    try {
      await expect.poll(() => bodies(), { timeout: 6_000 }).toBe("one\ntwo\n");
      truncateSync(log, 0);
      await sleep(500);
      expect(daemon.files()).toMatchObject([{ bytesBehind: 0, pendingSince: undefined }]);
    } finally {
      await daemon.stop(2_000, new AbortController());
    }
  }, 20_000);

  it("ships the shorter content written after a second truncation within the flush interval, and says what was lost", async () => {
    const log = join(dir, "logs", "app.log");
    writeFileSync(log, "");
    const { daemon, bodies, logs } = daemonOf(1_000);
    await daemon.start();
    try {
      appendFileSync(log, "0123456789abcdefghi\n");
      // Seen by a poll, not yet shipped (the flush interval is 1 s).
      await sleep(300);
      truncateSync(log, 0);
      appendFileSync(log, "end-k\n");
      await expect.poll(() => bodies(), { timeout: 4_000 }).toBe("end-k\n");
      expect(logs.find((record) => record.msg === "file was truncated before all of it was read; those bytes are lost")?.unreadBytes).toBe(20);
    } finally {
      await daemon.stop(2_000, new AbortController());
    }
  }, 15_000);
});
