import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { StateCorruptError, StateStore, StateTooNewError, type ShipState } from "../../src/source/StateStore.js";

function checkpoint(offset: number): FileCheckpoint {
  return { sourceId: "abcdef012345", path: "/var/log/app.log", dev: "1", ino: "2", fingerprint: "00", fingerprintLength: 0, offset, pending: [] };
}

describe("StateStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "state-store-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips the state, with 0700 directory and 0600 file", async () => {
    const store = new StateStore(join(dir, "state"));
    await store.init();
    await store.save({ files: [checkpoint(42)] });
    expect((await store.load()).files[0]?.offset).toBe(42);
    expect((await stat(store.dir)).mode & 0o777).toBe(0o700);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
  });

  it("round-trips a checkpoint's tail fingerprint, and loads one of an earlier release without it", async () => {
    const store = new StateStore(dir);
    await store.init();
    const tail = { hash: "ab".repeat(32), length: 1024 };
    await store.save({ files: [{ ...checkpoint(4096), tail }, checkpoint(7)] });
    const [withTail, legacy] = (await store.load()).files;
    expect(withTail?.tail).toEqual(tail);
    expect(legacy !== undefined && "tail" in legacy).toBe(false);
  });

  it("writes a consistent snapshot even when the state changes while the save is in flight", async () => {
    const store = new StateStore(dir);
    await store.init();
    const state: ShipState = { files: [checkpoint(0)] };
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 50; i += 1) {
      saves.push(store.save(state));
      // Mutate right after the call, before its I/O completes, as uploads do.
      (state.files[0] as FileCheckpoint).offset = i;
      state.files.push(checkpoint(i));
    }
    await Promise.all(saves);
    await expect(store.load()).resolves.toBeDefined();
  });

  it("rejects a file whose checksum does not match and moves it aside on request", async () => {
    const store = new StateStore(dir);
    await store.init();
    await store.save({ files: [checkpoint(7)] });
    const text = await readFile(store.path, "utf8");
    await writeFile(store.path, text.replace('"offset":7', '"offset":8'));
    await expect(store.load()).rejects.toBeInstanceOf(StateCorruptError);
    const aside = await store.quarantine(new Date("2026-11-28T04:00:00Z"));
    expect(aside).toBe(`${store.path}.corrupt-2026-11-28T04-00-00-000Z`);
    expect((await store.load()).files).toEqual([]);
  });

  it("rejects truncated JSON and an unknown version", async () => {
    const store = new StateStore(dir);
    await store.init();
    await writeFile(store.path, '{"version":1,"checksum":"x","fi');
    await expect(store.load()).rejects.toThrow(/not valid JSON/);
    await writeFile(store.path, JSON.stringify({ version: 0, checksum: "", files: [] }));
    await expect(store.load()).rejects.toThrow(new StateCorruptError(`state file ${store.path} has version 0, expected 1`));
    await writeFile(store.path, "null");
    await expect(store.load()).rejects.toThrow(new StateCorruptError(`state file ${store.path} is not a state document`));
  });

  it("tells a state file of a later release from a corrupt one: a rollback must not start from empty state", async () => {
    const store = new StateStore(dir);
    await store.init();
    await writeFile(store.path, JSON.stringify({ version: 2, checksum: "", files: [] }));
    await expect(store.load()).rejects.toBeInstanceOf(StateTooNewError);
    await expect(store.load()).rejects.toThrow(/written by a newer ship-logs \(state version 2; this release reads 1\)/);
  });

  it("leaves no temporary file behind when a save fails", async () => {
    const store = new StateStore(dir);
    await store.init();
    await mkdir(store.path); // the rename onto it fails, as a write on a full disk would
    await expect(store.save({ files: [checkpoint(1)] })).rejects.toThrow();
    await expect(store.save({ files: [checkpoint(2)] })).rejects.toThrow();
    expect((await readdir(dir)).filter((name) => name.includes(".tmp"))).toEqual([]);
  });
});
