import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { findSibling } from "../../src/source/findSibling.js";
import type { OpenFile } from "../../src/source/openFile.js";

describe("findSibling", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "find-sibling-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A checkpoint for `path`; only where it is and where it really lives matter here. */
  function checkpointAt(path: string, realDir?: string): FileCheckpoint {
    return { sourceId: "s", path, dev: "0", ino: "0", fingerprint: "", fingerprintLength: 0, offset: 0, pending: [], ...(realDir ? { realDir } : {}) };
  }

  it("looks beside the path, then where a symlink led, and returns the accepted file still open; the others are closed", async () => {
    const real = join(dir, "pods");
    await mkdir(real);
    await writeFile(join(dir, "other.log"), "x\n");
    await writeFile(join(real, "0.log.1"), "rotated\n");
    const seen: OpenFile[] = [];
    const search = await findSibling(checkpointAt(join(dir, "app.log"), real), async (file) => {
      seen.push(file);
      return file.path.endsWith("0.log.1");
    });
    expect(search.found?.path).toBe(join(real, "0.log.1"));
    expect(search.unreadable).toBeUndefined();
    expect((await search.found?.handle.stat())?.size).toBe(8);
    await search.found?.handle.close();
    const other = seen.find((file) => file.path.endsWith("other.log"));
    await expect(other?.handle.stat()).rejects.toThrow();
  });

  it("a directory that is gone proves nothing is there; one that exists but cannot be listed is reported", async () => {
    expect(await findSibling(checkpointAt(join(dir, "gone", "app.log")), async () => true)).toEqual({ found: undefined, unreadable: undefined });
    const loop = join(dir, "loop");
    await symlink(loop, loop);
    expect(await findSibling(checkpointAt(join(loop, "app.log")), async () => true)).toEqual({ found: undefined, unreadable: "ELOOP" });
  });
});

describe("findSibling, for a checkpoint saved before realDir was recorded", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "find-sibling-legacy-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("looks where the symlink at its path leads now: the rotated file is beside the one that replaced it", async () => {
    const real = join(dir, "pods");
    const logs = join(dir, "logs");
    await mkdir(real);
    await mkdir(logs);
    // The runtime rotated pods/0.log to 0.log.1 and started a new 0.log; the link still names 0.log.
    await writeFile(join(real, "0.log.1"), "rotated\n");
    await writeFile(join(real, "0.log"), "new\n");
    await symlink(join(real, "0.log"), join(logs, "app.log"));
    const checkpoint: FileCheckpoint = { sourceId: "s", path: join(logs, "app.log"), dev: "0", ino: "0", fingerprint: "", fingerprintLength: 0, offset: 0, pending: [] };
    const search = await findSibling(checkpoint, async (file) => file.path.endsWith("0.log.1"));
    expect(search.found?.path).toBe(join(real, "0.log.1"));
    await search.found?.handle.close();
  });
});
