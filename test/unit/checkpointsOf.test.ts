import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkpointsOf } from "../../src/source/checkpointsOf.js";
import { fingerprint } from "../../src/source/fingerprint.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";

describe("checkpointsOf", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "checkpoints-of-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a checkpoint of the same inode but other content (a deleted copy's inode handed on) does not hold the file: it is the reused inode's", async () => {
    const path = join(dir, "app.log.1");
    writeFileSync(path, "the new copy's content\n");
    const file = await openFile(path);
    try {
      const holding = await freshCheckpoint(file);
      const head = await fingerprint(file.handle, file.size, 1024);
      holding.fingerprint = head.hash;
      holding.fingerprintLength = head.length;
      const deletedCopys = { ...holding, fingerprint: "another content's head" };
      const otherFiles = { ...holding, ino: `${file.ino}0` };
      expect(await checkpointsOf([otherFiles, deletedCopys, holding], file)).toEqual({ holding: [holding], reused: [deletedCopys] });
    } finally {
      await file.handle.close();
    }
  });
});
