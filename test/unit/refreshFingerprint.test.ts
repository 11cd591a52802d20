import { appendFile, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintOf } from "../../src/source/fingerprint.js";
import { openFile, type OpenFile } from "../../src/source/openFile.js";
import { refreshFingerprint } from "../../src/source/refreshFingerprint.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";

const LIMIT = 1024;
const HEAD = "a line that was shipped\n".repeat(5);

describe("refreshFingerprint (after an acknowledged upload)", () => {
  let dir: string;
  let file: OpenFile;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "refresh-fingerprint-"));
    await writeFile(join(dir, "app.log"), HEAD);
    file = await openFile(join(dir, "app.log"));
  });
  afterEach(async () => {
    await file.handle.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("widens the fingerprint to the acknowledged bytes", async () => {
    const checkpoint = await freshCheckpoint(file);
    checkpoint.offset = 48;
    await refreshFingerprint(file, checkpoint, LIMIT);
    expect(checkpoint).toMatchObject({ fingerprint: fingerprintOf(Buffer.from(HEAD.slice(0, 48))).hash, fingerprintLength: 48 });
    checkpoint.offset = HEAD.length;
    await refreshFingerprint(file, checkpoint, LIMIT);
    expect(checkpoint).toMatchObject({ fingerprint: fingerprintOf(Buffer.from(HEAD)).hash, fingerprintLength: HEAD.length });
  });

  it("keeps it when the file was truncated before the refresh: the copy of a copytruncate is found by the shipped head", async () => {
    const checkpoint = await freshCheckpoint(file);
    checkpoint.offset = 48;
    await refreshFingerprint(file, checkpoint, LIMIT);
    const before = { fingerprint: checkpoint.fingerprint, fingerprintLength: checkpoint.fingerprintLength };

    await truncate(file.path, 0);
    checkpoint.offset = HEAD.length;
    await refreshFingerprint(file, checkpoint, LIMIT);
    expect(checkpoint, "truncated to nothing").toMatchObject(before);

    await appendFile(file.path, "other content, written after the truncation\n".repeat(4));
    await refreshFingerprint(file, checkpoint, LIMIT);
    expect(checkpoint, "truncated and written again, past the acknowledged offset").toMatchObject(before);
  });
});
