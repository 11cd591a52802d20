import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import { encodeBufferBytes } from "../../src/batch/encodeRange.js";
import type { Compression } from "../../src/sink/compress.js";
import { FileShipper } from "../../src/ship/FileShipper.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";
import { inProcessSink, type ReceivedObject } from "../support/inProcessSink.js";

describe("FileShipper replays after --compression changed", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "replay-compression-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Replays one intent recorded under `recorded` by a shipper running with `now`. */
  async function replay(recorded: Compression, now: Compression, content: string, recordsCompression = true): Promise<ReceivedObject[]> {
    const path = join(dir, "app.log");
    await appendFile(path, content);
    const { sink, received } = inProcessSink();
    const state: ShipState = { files: [] };
    const batchMaxBytes = 64 * 1024;
    const file = await openFile(path);
    try {
      const checkpoint = await freshCheckpoint(file);
      const key = `recorded.log${recorded === "gzip" ? ".gz" : ""}`;
      checkpoint.pending.push({ start: 0, end: content.length, key, ...(recordsCompression ? { compression: recorded } : {}) });
      state.files.push(checkpoint);
      const context = inProcessContext(new StateStore(dir), state, {
        sink,
        // Sized for the current setting: a gzip run's buffers are compression chunks.
        buffers: new BatchBuffers(Math.min(encodeBufferBytes(now, batchMaxBytes), 4096), 4),
        batchMaxBytes,
        compression: now,
        keyFor: () => "new-key",
      });
      const shipper = new FileShipper(context, file, checkpoint);
      await shipper.replayPending();
      await shipper.settle();
      expect(shipper.error).toBeUndefined();
      expect(checkpoint.pending).toEqual([]);
    } finally {
      await file.handle.close();
    }
    return received;
  }

  const lines = Array.from({ length: 800 }, (_, i) => `line ${i} ${"x".repeat(40)}\n`).join("");

  it("an intent recorded without compression goes up as plain text under its .log key, though this run gzips", async () => {
    const [object] = await replay("none", "gzip", lines);
    expect(object?.key).toBe("recorded.log");
    expect(object?.contentType).toMatch(/^text\/plain/);
    expect(object?.body.toString("utf8")).toBe(lines);
  });

  it("an intent of an earlier release, which recorded no compression, is encoded as its key's suffix says", async () => {
    const [gzipped] = await replay("gzip", "none", lines, false);
    expect(gunzipSync(gzipped?.body ?? Buffer.alloc(0)).toString("utf8")).toBe(lines);
    await rm(join(dir, "app.log"));
    const [plain] = await replay("none", "gzip", lines, false);
    expect(plain?.body.toString("utf8")).toBe(lines);
  });

  it("an intent recorded with gzip goes up gzipped under its .gz key, though this run does not compress", async () => {
    const [object] = await replay("gzip", "none", lines);
    expect(object?.key).toBe("recorded.log.gz");
    expect(object?.contentType).toBe("application/gzip");
    expect(gunzipSync(object?.body ?? Buffer.alloc(0)).toString("utf8")).toBe(lines);
  });
});
