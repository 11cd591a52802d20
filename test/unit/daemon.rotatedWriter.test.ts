import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
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

describe("Daemon: a rotated file its writer never reopens", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "daemon-rotated-writer-"));
    mkdirSync(join(dir, "logs"));
    mkdirSync(join(dir, "state"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("ships its pending lines at once, then what the writer adds at the flush interval, not a PUT a tick", async () => {
    const puts: string[] = [];
    const state: ShipState = { files: [] };
    const ctx: ShipContext = {
      state,
      saver: new StateSaver(new StateStore(join(dir, "state")), state),
      sink: { put: async (object: S3Object) => void puts.push(Buffer.from(object.body).toString("utf8")) } as S3Sink,
      slots: new Semaphore(4),
      buffers: new BatchBuffers(1024 * 1024, 4),
      logger: pino({ level: "silent" }),
      batchMaxBytes: 1024 * 1024,
      compression: "none",
      compressionLevel: 6,
      keyFor: (checkpoint, start, end) => `${checkpoint.sourceId}/${start}-${end}`,
      stats: emptyStats(),
    };
    const log = join(dir, "logs", "app.log");
    writeFileSync(log, "");
    const daemon = new Daemon(ctx, { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 1_500, tickMs: 50, rescanMs: 60_000, rotateWaitMs: 200 });
    await daemon.start();
    // The writer's descriptor outlives the rename: it never reopens.
    const writer = openSync(log, "a");
    try {
      writeSync(writer, "before the rotation\n");
      renameSync(log, join(dir, "logs", "app.log.1"));
      await expect.poll(() => puts.length, { timeout: 3_000 }).toBe(1);
      const lines: string[] = [];
      for (let i = 0; i < 30; i += 1) {
        const line = `after-${i}`;
        lines.push(line);
        writeSync(writer, `${line}\n`);
        await sleep(100);
      }
      await expect.poll(() => puts.join("").split("\n").filter(Boolean).length, { timeout: 5_000 }).toBe(31);
      expect(puts.join("")).toBe(["before the rotation", ...lines].map((line) => `${line}\n`).join(""));
      // Three seconds of writes at a 1.5 s interval: a few PUTs, not one a tick (about 30).
      expect(puts.length).toBeLessThanOrEqual(5);
    } finally {
      closeSync(writer);
      await daemon.stop(2_000, new AbortController());
    }
  }, 20_000);
});
