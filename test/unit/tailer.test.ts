import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import type { S3Sink } from "../../src/sink/S3Sink.js";
import { Semaphore } from "../../src/ship/Semaphore.js";
import { emptyStats, type ShipContext } from "../../src/ship/ShipContext.js";
import { StateSaver } from "../../src/ship/StateSaver.js";
import { Tailer } from "../../src/ship/Tailer.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { monotonicNow } from "../../src/time/monotonicNow.js";

/** A context whose sink records the bodies it is given. */
function contextFor(dir: string, bodies: string[]): ShipContext {
  const state: ShipState = { files: [] };
  const sink = { put: async (object: { body: Buffer }) => void bodies.push(object.body.toString("utf8")) };
  return {
    state,
    saver: new StateSaver(new StateStore(dir), state),
    sink: sink as unknown as S3Sink,
    slots: new Semaphore(4),
    buffers: new BatchBuffers(1024, 4),
    logger: pino({ level: "silent" }),
    batchMaxBytes: 1024,
    compression: "none",
    compressionLevel: 6,
    keyFor: (checkpoint, start, end) => `${checkpoint.sourceId}-${start}-${end}`,
    stats: emptyStats(),
  };
}

describe("Tailer.poll", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tailer-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a tailer closed to make room at the descriptor cap, then polled by a pass that listed it before: nothing is read, nothing is said (no EBADF at error)", async () => {
    const path = join(dir, "idle.log");
    await appendFile(path, "one\n");
    const bodies: string[] = [];
    const logs: string[] = [];
    const ctx = { ...contextFor(dir, bodies), logger: pino({ level: "info" }, { write: (line: string) => void logs.push(line) }) };
    const file = await openFile(path);
    const checkpoint = await freshCheckpoint(file);
    ctx.state.files.push(checkpoint);
    const tailer = new Tailer(ctx, file, checkpoint, 60_000, Date.now());
    expect(await tailer.poll(Date.now(), true)).toBe("ok");
    await tailer.settle();
    expect(bodies).toEqual(["one\n"]);
    await appendFile(path, "two\n");
    await tailer.close();
    expect(await tailer.poll(Date.now(), false)).toBe("ok");
    expect(await tailer.poll(Date.now(), true)).toBe("ok");
    await tailer.settle();
    expect(logs).toEqual([]);
    // Its checkpoint stays where S3 acknowledged: the next tailer on the file reads on from there.
    expect(checkpoint.offset).toBe(4);
    expect(bodies).toEqual(["one\n"]);
  });

  it("an urgent poll arriving during a routine one still ships the remainder (the SIGTERM flush)", async () => {
    const path = join(dir, "app.log");
    // 1.5 batches: a routine poll ships the full batch and leaves the rest for the flush interval.
    const lines = Array.from({ length: 150 }, (_, i) => `line-${String(i).padStart(4, "0")}`);
    await appendFile(path, `${lines.join("\n")}\n`);
    const bodies: string[] = [];
    const ctx = contextFor(dir, bodies);
    const file = await openFile(path);
    const checkpoint = await freshCheckpoint(file);
    ctx.state.files.push(checkpoint);
    const tailer = new Tailer(ctx, file, checkpoint, 60_000, monotonicNow());
    try {
      // A file event's routine poll is in progress when shutdown asks for the final one.
      const routine = tailer.poll(monotonicNow(), false);
      const final = tailer.poll(monotonicNow(), true);
      expect(await routine).toBe("ok");
      expect(await final).toBe("ok");
      await tailer.settle();
      expect(bodies.join("").split("\n").slice(0, -1)).toEqual(lines);
    } finally {
      await tailer.close();
    }
  });

  it("a poll cuts one batch (BATCHES_PER_POLL) and says whether full batches are left; the next polls cut on", async () => {
    const path = join(dir, "backlog.log");
    // 3.5 batches of 1 KiB: three full ones, and a remainder left for the flush interval.
    const lines = Array.from({ length: 350 }, (_, i) => `line-${String(i).padStart(4, "0")}`);
    await appendFile(path, `${lines.join("\n")}\n`);
    const bodies: string[] = [];
    const ctx = contextFor(dir, bodies);
    const file = await openFile(path);
    const checkpoint = await freshCheckpoint(file);
    ctx.state.files.push(checkpoint);
    const tailer = new Tailer(ctx, file, checkpoint, 60_000, monotonicNow());
    try {
      const more: boolean[] = [];
      for (let i = 0; i < 4; i += 1) {
        expect(await tailer.poll(monotonicNow(), false)).toBe("ok");
        more.push(tailer.hasMore);
      }
      await tailer.settle();
      expect(bodies).toHaveLength(3);
      expect(more).toEqual([true, true, false, false]);
      // The remainder waits for the flush interval, or an urgent poll: a batch, no more left.
      expect(await tailer.poll(monotonicNow(), true)).toBe("ok");
      expect(tailer.hasMore).toBe(false);
      expect(tailer.pendingSince).toBeUndefined();
      await tailer.settle();
      expect(bodies.join("").split("\n").slice(0, -1)).toEqual(lines);
    } finally {
      await tailer.close();
    }
  });

  it("an urgent poll that cuts a file's complete lines leaves nothing more behind a partial line (no poll after poll, a PUT each, while a writer is mid-line)", async () => {
    const path = join(dir, "busy.log");
    // 1.5 batches, then a line being written.
    const lines = Array.from({ length: 150 }, (_, i) => `line-${String(i).padStart(4, "0")}`);
    await appendFile(path, `${lines.join("\n")}\nhalf a li`);
    const bodies: string[] = [];
    const ctx = contextFor(dir, bodies);
    const file = await openFile(path);
    const checkpoint = await freshCheckpoint(file);
    ctx.state.files.push(checkpoint);
    const tailer = new Tailer(ctx, file, checkpoint, 60_000, monotonicNow());
    try {
      expect(await tailer.poll(monotonicNow(), true)).toBe("ok");
      // One batch cut, complete lines left after it: still due, more to cut.
      expect(tailer.hasMore).toBe(true);
      expect(tailer.pendingSince).toBeDefined();
      expect(await tailer.poll(monotonicNow(), true)).toBe("ok");
      expect(tailer.hasMore).toBe(false);
      await tailer.settle();
      expect(bodies).toHaveLength(2);
      expect(bodies.join("").split("\n").slice(0, -1)).toEqual(lines);
    } finally {
      await tailer.close();
    }
  });

  it("counts the flush interval of what a file held when it was opened from the opening, not from its first poll", async () => {
    const path = join(dir, "new.log");
    await appendFile(path, "first line of a new file\n");
    const bodies: string[] = [];
    const ctx = contextFor(dir, bodies);
    const file = await openFile(path);
    const checkpoint = await freshCheckpoint(file);
    ctx.state.files.push(checkpoint);
    const openedAt = monotonicNow();
    const tailer = new Tailer(ctx, file, checkpoint, 2_000, openedAt);
    try {
      expect(tailer.pendingSince).toBe(openedAt);
      // The first poll comes a tick later (up to 1 s): the line is due at openedAt + 2 s, not then + 2 s.
      expect(await tailer.poll(openedAt + 1_000, false)).toBe("ok");
      expect(tailer.pendingSince).toBe(openedAt);
      expect(await tailer.poll(openedAt + 2_000, false)).toBe("ok");
      await tailer.settle();
      expect(bodies).toEqual(["first line of a new file\n"]);
    } finally {
      await tailer.close();
    }
  });
});
