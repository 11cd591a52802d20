import { appendFile, mkdtemp, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileShipper } from "../../src/ship/FileShipper.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";
import { inProcessSink } from "../support/inProcessSink.js";

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
    const { sink, received } = inProcessSink();
    const state: ShipState = { files: [] };
    const file = await openFile(path);
    try {
      const checkpoint = await freshCheckpoint(file);
      state.files.push(checkpoint);
      const shipper = new FileShipper(inProcessContext(new StateStore(dir), state, { sink }), file, checkpoint);
      await shipper.ship(6_000);
      expect(received).toEqual([]);
      // copytruncate, then the writer goes on, past the old partial line, before the next poll.
      await truncate(path, 0);
      await appendFile(path, "line\n".repeat(2_000));
      await shipper.ship(10_000);
      await shipper.settle();
      expect(shipper.error).toBeUndefined();
      for (const object of received) expect(Number(object.metadata["lines"])).toBe(object.body.toString("utf8").split("\n").length - 1);
      expect(received.map((object) => object.body.toString("utf8")).join("")).toBe("line\n".repeat(2_000));
    } finally {
      await file.handle.close();
    }
  });
});
