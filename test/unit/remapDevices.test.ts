import { renameSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { fingerprintOf } from "../../src/source/fingerprint.js";
import { remapDevices } from "../../src/source/remapDevices.js";

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
});
