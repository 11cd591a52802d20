import { symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findLaterRotations } from "../../src/source/findLaterRotations.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";
import { fingerprint } from "../../src/source/fingerprint.js";

describe("findLaterRotations", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "later-rotations-"));
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
    const later = await findLaterRotations(join(dir, "app.log"), copy, [], (file) => file.dev === knownFile.dev && file.ino === knownFile.ino);
    expect(later.map((file) => file.path)).toEqual([join(dir, "app.log.1"), join(dir, "app.log-20261207")]);
    for (const file of [copy, knownFile, ...later]) await file.handle.close();
  });

  it("renamed generations: those changed after the file that left the path; not older rotations, the renamed file itself, the file at the path, or a checkpointed one", async () => {
    const at = (name: string, second: number, content = `${name}\n`): void => {
      writeFileSync(join(dir, name), content);
      utimesSync(join(dir, name), second, second);
    };
    // Rotations from before ship-logs was installed: older than the followed file.
    at("app.log.5", 10);
    at("app.log.4", 20);
    // The followed generation, renamed away; then three generations it never opened, one of them checkpointed.
    at("app.log.3", 100);
    at("app.log.2", 110);
    at("app.log.1", 130);
    at("app.log-1", 120);
    // The file at the watched path now: the glob matches it.
    at("app.log", 140);
    const renamed = await openFile(join(dir, "app.log.3"));
    const held = await openFile(join(dir, "app.log-1"));
    try {
      const checkpoint = await freshCheckpoint(held);
      const head = await fingerprint(held.handle, held.size, 1024);
      checkpoint.fingerprint = head.hash;
      checkpoint.fingerprintLength = head.length;
      const watched = join(dir, "app.log");
      const later = await findLaterRotations(watched, renamed, [checkpoint], (file) => file.path === watched);
      expect(later.map((file) => file.path)).toEqual([join(dir, "app.log.2"), join(dir, "app.log.1")]);
      for (const file of later) await file.handle.close();
    } finally {
      await renamed.handle.close();
      await held.handle.close();
    }
  });

  it("renamed generations of a file behind a symlink: looked for where the file really lives, and beside the link", async () => {
    const real = join(dir, "real");
    const links = join(dir, "links");
    await mkdir(real);
    await mkdir(links);
    const at = (path: string, second: number): void => {
      writeFileSync(path, `${path}\n`);
      utimesSync(path, second, second);
    };
    at(join(real, "app.log.2"), 100);
    at(join(real, "app.log.1"), 110);
    at(join(real, "app.log"), 120);
    at(join(links, "app.log.1"), 115);
    symlinkSync(join(real, "app.log"), join(links, "app.log"));
    // A link to a generation, beside the link to the file: the same generation, once.
    symlinkSync(join(real, "app.log.1"), join(links, "app.log.3"));
    const renamed = await openFile(join(real, "app.log.2"));
    try {
      const later = await findLaterRotations(join(links, "app.log"), renamed, [], () => false);
      expect(later.map((file) => file.path)).toEqual([join(real, "app.log.1"), join(links, "app.log.1")]);
      for (const file of later) await file.handle.close();
    } finally {
      await renamed.handle.close();
    }
  });
});
