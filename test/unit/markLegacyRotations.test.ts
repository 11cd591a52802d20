import { statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { markLegacyRotations } from "../../src/source/markLegacyRotations.js";

describe("markLegacyRotations", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "legacy-rotations-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function checkpointOf(path: string, offset: number, pending: FileCheckpoint["pending"] = []): FileCheckpoint {
    const info = statSync(path, { bigint: true });
    return { sourceId: "s", path, dev: info.dev.toString(), ino: info.ino.toString(), fingerprint: "f", fingerprintLength: 1, offset, pending };
  }

  it("marks what may hold unread lines at a rotated name of a watched path, and leaves a file read to its end at its path with nothing in flight", async () => {
    const read = join(dir, "a.log.1");
    const grown = join(dir, "b.log.1");
    const inFlight = join(dir, "c.log-20261207");
    const moved = join(dir, "d.log.2");
    for (const path of [read, grown, inFlight, moved]) writeFileSync(path, "0123456789\n");
    const checkpoints = [
      checkpointOf(read, 11),
      checkpointOf(grown, 5),
      checkpointOf(inFlight, 0, [{ start: 0, end: 11, key: "k.log.gz" }]),
      { ...checkpointOf(moved, 11), path: join(dir, "d.log.3") },
    ];
    await markLegacyRotations(checkpoints, (path) => /\/[a-d]\.log$/.test(path));
    expect(checkpoints.map((checkpoint) => checkpoint.rotated)).toEqual([undefined, true, true, true]);
  });

  it("leaves a file that is no rotated name of a watched path unmarked: taken out of --watch, it must not ship on", async () => {
    const elsewhere = join(dir, "elsewhere.log");
    const lock = join(dir, "app.log.lock");
    writeFileSync(elsewhere, "0123456789\n");
    writeFileSync(lock, "0123456789\n");
    const checkpoints = [checkpointOf(elsewhere, 5), checkpointOf(lock, 5)];
    await markLegacyRotations(checkpoints, (path) => path.endsWith("/app.log"));
    expect(checkpoints.map((checkpoint) => checkpoint.rotated)).toEqual([undefined, undefined]);
  });

  it("leaves the checkpoints of watched files unmarked: taken out of --watch later, they must not ship on", async () => {
    const grown = join(dir, "grown.log");
    writeFileSync(grown, "0123456789\n");
    const checkpoints = [checkpointOf(grown, 5, [{ start: 5, end: 11, key: "k.log.gz" }])];
    await markLegacyRotations(checkpoints, (path) => path === grown);
    expect(checkpoints[0]?.rotated).toBeUndefined();
  });
});
