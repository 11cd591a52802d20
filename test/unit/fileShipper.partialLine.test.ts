import { appendFile, mkdtemp, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import type { S3Object, S3Sink, S3StreamObject } from "../../src/sink/S3Sink.js";
import { FileShipper } from "../../src/ship/FileShipper.js";
import { Semaphore } from "../../src/ship/Semaphore.js";
import { emptyStats } from "../../src/ship/ShipContext.js";
import { StateSaver } from "../../src/ship/StateSaver.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";

describe("FileShipper and a line still without its newline", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "partial-line-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a file truncated and written past the partial line it held: its new lines are found, not taken for the old line's end", async () => {
    const path = join(dir, "app.log");
    await appendFile(path, "x".repeat(6_000));
    const objects: Array<{ lines: string; body: string }> = [];
    const record = (object: S3Object | S3StreamObject, body: Buffer): void => void objects.push({ lines: object.metadata["lines"] ?? "", body: body.toString("utf8") });
    const sink = {
      put: async (object: S3Object) => record(object, Buffer.from(object.body)),
      putStream: async (object: S3StreamObject) => {
        const pieces: Buffer[] = [];
        for await (const piece of object.body()) pieces.push(piece);
        record(object, Buffer.concat(pieces));
        return Buffer.concat(pieces).length;
      },
    } as S3Sink;
    const state: ShipState = { files: [] };
    const file = await openFile(path);
    try {
      const checkpoint = await freshCheckpoint(file);
      state.files.push(checkpoint);
      const shipper = new FileShipper(
        {
          state,
          saver: new StateSaver(new StateStore(dir), state),
          sink,
          slots: new Semaphore(4),
          buffers: new BatchBuffers(4096, 4),
          logger: pino({ level: "silent" }),
          batchMaxBytes: 4096,
          compression: "none",
          compressionLevel: 6,
          keyFor: (_checkpoint, start, end) => `${start}-${end}`,
          stats: emptyStats(),
        },
        file,
        checkpoint,
      );
      await shipper.ship(6_000);
      expect(objects).toEqual([]);
      // copytruncate, then the writer goes on, past the old partial line, before the next poll.
      await truncate(path, 0);
      await appendFile(path, "line\n".repeat(2_000));
      await shipper.ship(10_000);
      await shipper.settle();
      expect(shipper.error).toBeUndefined();
      for (const object of objects) expect(Number(object.lines)).toBe(object.body.split("\n").length - 1);
      expect(objects.map((object) => object.body).join("")).toBe("line\n".repeat(2_000));
    } finally {
      await file.handle.close();
    }
  });
});
