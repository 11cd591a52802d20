import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { StateStore } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";
import { inProcessSink } from "../support/inProcessSink.js";

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
    const { sink, received } = inProcessSink();
    const puts = (): string[] => received.map((object) => object.body.toString("utf8"));
    const ctx = inProcessContext(new StateStore(join(dir, "state")), { files: [] }, {
      sink,
      buffers: new BatchBuffers(1024 * 1024, 4),
      batchMaxBytes: 1024 * 1024,
    });
    const log = join(dir, "logs", "app.log");
    writeFileSync(log, "");
    const daemon = new Daemon(ctx, { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 1_500, tickMs: 50, rescanMs: 60_000, rotateWaitMs: 200 });
    await daemon.start();
    // The writer's descriptor outlives the rename: it never reopens.
    const writer = openSync(log, "a");
    try {
      writeSync(writer, "before the rotation\n");
      renameSync(log, join(dir, "logs", "app.log.1"));
      await expect.poll(() => puts().length, { timeout: 3_000 }).toBe(1);
      const lines: string[] = [];
      for (let i = 0; i < 30; i += 1) {
        const line = `after-${i}`;
        lines.push(line);
        writeSync(writer, `${line}\n`);
        await sleep(100);
      }
      await expect.poll(() => puts().join("").split("\n").filter(Boolean).length, { timeout: 5_000 }).toBe(31);
      expect(puts().join("")).toBe(["before the rotation", ...lines].map((line) => `${line}\n`).join(""));
      // Three seconds of writes at a 1.5 s interval: a few PUTs, not one a tick (about 30).
      expect(puts().length).toBeLessThanOrEqual(5);
    } finally {
      closeSync(writer);
      await daemon.stop(2_000, new AbortController());
    }
  }, 20_000);
});
