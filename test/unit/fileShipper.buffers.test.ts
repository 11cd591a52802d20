import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import type { Compression } from "../../src/sink/compress.js";
import type { S3Sink } from "../../src/sink/S3Sink.js";
import { FileShipper, IntentLostError } from "../../src/ship/FileShipper.js";
import { Semaphore } from "../../src/ship/Semaphore.js";
import { emptyStats, type ShipContext } from "../../src/ship/ShipContext.js";
import { StateSaver } from "../../src/ship/StateSaver.js";
import type { FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";

const SLOTS = 4;
const BUFFERS = 2;

/** Counts what is lent out, so a test sees every buffer come back. */
class CountingBuffers extends BatchBuffers {
  lentOut = 0;
  maxLentOut = 0;
  override async take(): Promise<Buffer> {
    const buffer = await super.take();
    this.lentOut += 1;
    this.maxLentOut = Math.max(this.maxLentOut, this.lentOut);
    return buffer;
  }
  override give(buffer: Buffer): void {
    this.lentOut -= 1;
    super.give(buffer);
  }
}

/** A context of the parts each test chooses, around 4 KiB batches. */
function context(state: ShipState, parts: Pick<ShipContext, "saver" | "sink" | "buffers" | "compression" | "compressionLevel" | "keyFor">): ShipContext {
  return { state, slots: new Semaphore(SLOTS), logger: pino({ level: "silent" }), batchMaxBytes: 4096, stats: emptyStats(), ...parts };
}

/** Ships the whole file and waits for every upload; gives the shipper and the file's checkpoint to look at. */
async function shipAll(ctx: ShipContext, path: string): Promise<{ shipper: FileShipper; checkpoint: FileCheckpoint }> {
  const file = await openFile(path);
  try {
    const checkpoint = await freshCheckpoint(file);
    ctx.state.files.push(checkpoint);
    const shipper = new FileShipper(ctx, file, checkpoint);
    await shipper.ship(file.size);
    await shipper.settle();
    return { shipper, checkpoint };
  } finally {
    await file.handle.close();
  }
}

describe("FileShipper with pooled batch buffers", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "file-shipper-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const compression of ["gzip", "none"] as const satisfies readonly Compression[]) {
    it(`${compression}: uploads that finish out of order each carry their own bytes, and every buffer comes back`, async () => {
      const path = join(dir, "app.log");
      const lines = Array.from({ length: 2_000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`);
      await appendFile(path, `${lines.join("\n")}\n`);
      const state: ShipState = { files: [] };
      const stored = new Map<string, Buffer>();
      // Slow, uneven PUTs: a buffer reused too early would show up as another batch's bytes.
      const sink = {
        put: async (object: { key: string; body: Buffer }) => {
          await sleep(Math.random() * 20);
          stored.set(object.key, Buffer.from(object.body));
        },
      };
      const buffers = new CountingBuffers(4096, compression === "none" ? SLOTS : BUFFERS);
      const ctx = context(state, {
        saver: new StateSaver(new StateStore(dir), state),
        sink: sink as unknown as S3Sink,
        buffers,
        compression,
        compressionLevel: 1,
        keyFor: (_checkpoint, start, end) => `${String(start).padStart(10, "0")}-${end}`,
      });
      const { shipper } = await shipAll(ctx, path);
      expect(shipper.error).toBeUndefined();

      const bodies = [...stored].sort(([a], [b]) => a.localeCompare(b)).map(([, body]) => body);
      const text = bodies.map((body) => (compression === "gzip" ? gunzipSync(body) : body).toString("utf8")).join("");
      expect(text).toBe(`${lines.join("\n")}\n`);
      expect(bodies.length).toBeGreaterThan(10);
      expect(buffers.lentOut).toBe(0);
      expect(buffers.maxLentOut).toBe(buffers.limit);
      expect(buffers.held, "no more buffers than the limit ever existed").toBe(buffers.limit);
    });
  }

  it("a failed intent fsync fails the upload, after the read that shares its buffer has ended, and every buffer comes back", async () => {
    const path = join(dir, "app.log");
    await appendFile(path, "x".repeat(99).concat("\n").repeat(500));
    const state: ShipState = { files: [] };
    const puts: string[] = [];
    const buffers = new CountingBuffers(1024, BUFFERS);
    const diskFull = new Error("ENOSPC: no space left on device");
    const ctx = context(state, {
      // Fails at once, while the batch is still being read and compressed.
      saver: { persist: () => Promise.reject(diskFull) } as unknown as StateSaver,
      sink: { put: (object: { key: string }) => puts.push(object.key) } as unknown as S3Sink,
      buffers,
      compression: "gzip",
      compressionLevel: 6,
      keyFor: (_checkpoint, start, end) => `${start}-${end}`,
    });
    const { shipper, checkpoint } = await shipAll(ctx, path);
    expect(shipper.error).toBe(diskFull);
    expect(puts, "no object without its intent on disk").toEqual([]);
    expect(checkpoint.offset).toBe(0);
    expect(buffers.lentOut).toBe(0);
  });

  it("a replay whose bytes the file no longer holds fails with IntentLostError after replaying the intents before it", async () => {
    const path = join(dir, "app.log");
    await appendFile(path, "one\ntwo\n");
    const state: ShipState = { files: [] };
    const puts: string[] = [];
    const buffers = new CountingBuffers(1024, BUFFERS);
    const ctx = context(state, {
      saver: new StateSaver(new StateStore(dir), state),
      sink: { put: (object: { key: string }) => puts.push(object.key) } as unknown as S3Sink,
      buffers,
      compression: "gzip",
      compressionLevel: 6,
      keyFor: (_checkpoint, start, end) => `${start}-${end}`,
    });
    const file = await openFile(path);
    try {
      const checkpoint = await freshCheckpoint(file);
      // Recorded by a run that saw the file longer than it is now.
      checkpoint.pending.push({ start: 0, end: 4, key: "0-4" }, { start: 4, end: 12, key: "4-12" });
      state.files.push(checkpoint);
      const shipper = new FileShipper(ctx, file, checkpoint);
      await expect(shipper.replayPending()).rejects.toBeInstanceOf(IntentLostError);
      await shipper.settle();
      expect(puts).toEqual(["0-4"]);
      expect(buffers.lentOut).toBe(0);
    } finally {
      await file.handle.close();
    }
  });
});
