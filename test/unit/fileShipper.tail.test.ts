import { createHash } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileShipper } from "../../src/ship/FileShipper.js";
import { recordedEnd } from "../../src/source/FileCheckpoint.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";
import { inProcessSink } from "../support/inProcessSink.js";

/** What FileCheckpoint.tail must hold for `content` read to `end`: the up to 1 KiB before it. */
function tailOf(content: Buffer, end: number): { hash: string; length: number } {
  const bytes = content.subarray(Math.max(0, end - 1024), end);
  return { hash: createHash("sha256").update(bytes).digest("hex"), length: bytes.length };
}

describe("FileShipper and the tail fingerprint (how findCopy tells a copytruncate's copy from files with the same head)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "shipper-tail-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("ends where the last recorded upload ends, at every cut, and is saved with it", async () => {
    const path = join(dir, "app.log");
    const store = new StateStore(join(dir, "state"));
    await store.init();
    await appendFile(path, "short\n");
    const { sink } = inProcessSink();
    const state: ShipState = { files: [] };
    let file = await openFile(path);
    const checkpoint = await freshCheckpoint(file);
    state.files.push(checkpoint);
    expect(checkpoint.tail, "nothing cut yet").toBeUndefined();
    try {
      const ctx = inProcessContext(store, state, { sink });
      let shipper = new FileShipper(ctx, file, checkpoint);
      await shipper.ship(file.size);
      await shipper.settle();
      expect(recordedEnd(checkpoint)).toBe(6);
      expect(checkpoint.tail).toEqual(tailOf(await readFile(path), 6));

      // Several batches (4 KiB each): the tail is of the last one cut.
      await appendFile(path, Array.from({ length: 400 }, (_, i) => `line ${String(i).padStart(4, "0")}\n`).join(""));
      await file.handle.close();
      file = await openFile(path);
      shipper = new FileShipper(ctx, file, checkpoint);
      await shipper.ship(file.size);
      await shipper.settle();
      expect(shipper.error).toBeUndefined();
      const content = await readFile(path);
      expect(recordedEnd(checkpoint)).toBe(content.length);
      expect(checkpoint.tail).toEqual(tailOf(content, content.length));
      await ctx.saver.persist();
      expect((await store.load()).files[0]?.tail).toEqual(tailOf(content, content.length));
    } finally {
      await file.handle.close();
    }
  });
});
