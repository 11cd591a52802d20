import { accessSync, constants, renameSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { fingerprintOf } from "../../src/source/fingerprint.js";
import { remapDevices } from "../../src/source/remapDevices.js";

/** /dev/shm as a second file system: writable, and another device than the temp dir. */
const OTHER_DEVICE = (() => {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return statSync("/dev/shm").dev !== statSync(tmpdir()).dev;
  } catch {
    return false;
  }
})();

describe("remapDevices", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-logs-remap-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The checkpoint of `path` with `shipped` acknowledged, as a run before the reboot left it, on device `dev`. */
  async function shippedOn(dev: string, path: string, shipped: string): Promise<FileCheckpoint> {
    const print = fingerprintOf(Buffer.from(shipped));
    const { ino } = await stat(path, { bigint: true });
    return { sourceId: "0123456789ab", path, dev, ino: ino.toString(), fingerprint: print.hash, fingerprintLength: print.length, offset: shipped.length, pending: [] };
  }

  it("moves every checkpoint of a renumbered device, a rotated file's too, once a file at its path confirms it", async () => {
    const real = (await stat(dir, { bigint: true })).dev.toString();
    writeFileSync(join(dir, "b.log"), "b1\n");
    writeFileSync(join(dir, "a.log"), "a1\na2\n");
    const b = await shippedOn("7777", join(dir, "b.log"), "b1\n");
    const a = await shippedOn("7777", join(dir, "a.log"), "a1\n");
    renameSync(join(dir, "a.log"), join(dir, "a.log.1"));
    writeFileSync(join(dir, "a.log"), "new\n");
    const other = { ...b, path: "/elsewhere/c.log", dev: "8888" };

    expect(await remapDevices([a, b, other])).toEqual(new Map([["7777", real]]));
    expect([a.dev, b.dev, other.dev]).toEqual([real, real, "8888"]);
  });

  it("moves nothing for a file with the same inode that no longer starts as shipped, or a device that did not change", async () => {
    writeFileSync(join(dir, "a.log"), "a1\n");
    const replaced = await shippedOn("7777", join(dir, "a.log"), "zz\n");
    const real = (await stat(dir, { bigint: true })).dev.toString();
    const unchanged = await shippedOn(real, join(dir, "a.log"), "a1\n");
    expect(await remapDevices([replaced, unchanged])).toEqual(new Map());
    expect([replaced.dev, unchanged.dev]).toEqual(["7777", real]);
  });

  it("takes no word from a checkpoint with nothing shipped: an empty head matches any file", async () => {
    writeFileSync(join(dir, "error.log"), "");
    const empty = await shippedOn("7777", join(dir, "error.log"), "");
    expect(await remapDevices([empty])).toEqual(new Map());
    expect(empty.dev).toBe("7777");
  });

  it.runIf(OTHER_DEVICE)("moves no device that a file still at its path shows in use as it was", async () => {
    const shm = await mkdtemp("/dev/shm/ship-logs-remap-");
    try {
      const shmDev = (await stat(shm, { bigint: true })).dev.toString();
      writeFileSync(join(shm, "kept.log"), "k1\n");
      const kept = await shippedOn(shmDev, join(shm, "kept.log"), "k1\n");
      // A file on this disk that happens to have an inode that device held, with the same head.
      writeFileSync(join(dir, "a.log"), "k1\n");
      const lookalike = await shippedOn(shmDev, join(dir, "a.log"), "k1\n");
      expect(await remapDevices([kept, lookalike])).toEqual(new Map());
      expect([kept.dev, lookalike.dev]).toEqual([shmDev, shmDev]);
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });

  it("moves nothing that would give two checkpoints one device and inode", async () => {
    const real = (await stat(dir, { bigint: true })).dev.toString();
    writeFileSync(join(dir, "a.log"), "a1\na2\n");
    const moving = await shippedOn("7777", join(dir, "a.log"), "a1\n");
    const staying = { ...moving, sourceId: "bbbbbbbbbbbb", path: "/nowhere/b.log", dev: real };
    expect(await remapDevices([staying, moving])).toEqual(new Map());
    expect(new Set([staying, moving].map((checkpoint) => `${checkpoint.dev}:${checkpoint.ino}`)).size).toBe(2);
  });

  it.runIf(OTHER_DEVICE)("undoes a swap though one of the two disks gives no word (its only log is empty)", async () => {
    const shm = await mkdtemp("/dev/shm/ship-logs-remap-");
    try {
      const here = (await stat(dir, { bigint: true })).dev.toString();
      const there = (await stat(shm, { bigint: true })).dev.toString();
      writeFileSync(join(dir, "app.log"), "a1\na2\n");
      writeFileSync(join(shm, "error.log"), "");
      const app = await shippedOn(there, join(dir, "app.log"), "a1\n"); // was there, is here now
      const error = await shippedOn(here, join(shm, "error.log"), ""); // was here, is there now
      expect((await remapDevices([app, error])).get(there)).toBe(here);
      expect(app.dev).toBe(here);
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });
});
