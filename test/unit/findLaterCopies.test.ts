import { utimesSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findLaterCopies, isCheckpointed } from "../../src/source/findLaterCopies.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";
import { fingerprint } from "../../src/source/fingerprint.js";

describe("findLaterCopies", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "later-copies-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns the file's copies changed after the one found, oldest first; not older ones, other names, compressed or known files", async () => {
    const at = (name: string, second: number, content = `${name}\n`): void => {
      writeFileSync(join(dir, name), content);
      utimesSync(join(dir, name), second, second);
    };
    at("app.log", 100);
    at("app.log.3", 5);
    at("app.log.2", 10);
    at("app.log-20261207", 30);
    at("app.log.1", 20);
    at("app.log.4.gz", 40);
    at("app.log.lock", 40);
    at("app.log.bak", 40);
    at("other.log.1", 40);
    at("app.log.9", 40, "");
    at("known.log", 0);
    at("app.log.7", 50);
    const copy = await openFile(join(dir, "app.log.2"));
    const knownFile = await openFile(join(dir, "app.log.7"));
    const later = await findLaterCopies(join(dir, "app.log"), copy, [], (file) => file.dev === knownFile.dev && file.ino === knownFile.ino);
    expect(later.map((file) => file.path)).toEqual([join(dir, "app.log.1"), join(dir, "app.log-20261207")]);
    for (const file of [copy, knownFile, ...later]) await file.handle.close();
  });

  it("isCheckpointed: a checkpoint of the same inode but other content (a deleted copy's inode handed on) does not hold the file", async () => {
    const path = join(dir, "app.log.1");
    writeFileSync(path, "the new copy's content\n");
    const file = await openFile(path);
    try {
      const holding = await freshCheckpoint(file);
      const head = await fingerprint(file.handle, file.size, 1024);
      holding.fingerprint = head.hash;
      holding.fingerprintLength = head.length;
      expect(await isCheckpointed([holding], file)).toBe(true);
      const deletedCopys = { ...holding, fingerprint: "another content's head" };
      expect(await isCheckpointed([deletedCopys], file)).toBe(false);
    } finally {
      await file.handle.close();
    }
  });
});
