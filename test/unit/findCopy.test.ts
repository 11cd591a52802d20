import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { findCopy } from "../../src/source/findCopy.js";
import { fingerprint } from "../../src/source/fingerprint.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";

describe("findCopy", () => {
  let dir: string;
  let app: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "find-copy-"));
    app = join(dir, "app.log");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The checkpoint of app.log after `shipped` bytes of `content` were acknowledged, and an upload recorded up to `readTo`. */
  async function checkpointOf(content: string, shipped: number, readTo = shipped): Promise<FileCheckpoint> {
    await writeFile(app, content);
    const file = await openFile(app);
    try {
      const checkpoint = await freshCheckpoint(file);
      const head = await fingerprint(file.handle, shipped);
      const pending = readTo > shipped ? [{ start: shipped, end: readTo, key: "recorded" }] : [];
      return { ...checkpoint, offset: shipped, pending, fingerprint: head.hash, fingerprintLength: head.length };
    } finally {
      await file.handle.close();
    }
  }

  async function expectCopyAt(checkpoint: FileCheckpoint, path: string): Promise<void> {
    const copy = await findCopy(checkpoint);
    try {
      expect(copy?.path).toBe(path);
    } finally {
      await copy?.handle.close();
    }
  }

  it("finds the sibling that starts with the shipped head and holds what was read, skipping the file itself and directories", async () => {
    const content = "one\ntwo\nthree\n";
    const checkpoint = await checkpointOf(content, 4, 8);
    await mkdir(join(dir, "app.log.0"));
    await writeFile(join(dir, "app.log.2"), "older content\n");
    await writeFile(join(dir, "app.log.3"), "one\n");
    await writeFile(join(dir, "app.log.1"), content);
    await expectCopyAt(checkpoint, join(dir, "app.log.1"));
  });

  it("skips a named pipe beside the file instead of waiting for a writer to open it", async () => {
    const content = "one\ntwo\nthree\n";
    const checkpoint = await checkpointOf(content, 4, 8);
    // A search that opened it for reading would block there, for good.
    execFileSync("mkfifo", [join(dir, "app.log.0")]);
    await writeFile(join(dir, "app.log.1"), content);
    await expectCopyAt(checkpoint, join(dir, "app.log.1"));
  });

  it("leaves a writer waiting on a named pipe beside the file waiting: opening the pipe would release it into a closed one", async () => {
    const content = "one\ntwo\nthree\n";
    const checkpoint = await checkpointOf(content, 4, 8);
    const fifo = join(dir, "app.log.0");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `echo waiting > '${fifo}'`]);
    try {
      // Until the writer waits in its open, a search that opened the pipe would not release it:
      // wait for the kernel to show it there (where /proc shows wait channels), else a while.
      const wchan = `/proc/${String(writer.pid)}/wchan`;
      for (let waited = 0; waited < 2_000 && (await readFile(wchan, "utf8").catch(() => "")) !== "wait_for_partner"; waited += 10) await sleep(10);
      await writeFile(join(dir, "app.log.1"), content);
      await expectCopyAt(checkpoint, join(dir, "app.log.1"));
      await sleep(100);
      expect(writer.exitCode, "the writer was released and ended").toBeNull();
      expect(writer.signalCode).toBeNull();
      expect(await readFile(fifo, "utf8")).toBe("waiting\n");
    } finally {
      writer.kill();
    }
  });

  it("finds nothing without an acknowledged head to recognise the copy by", async () => {
    const checkpoint = await checkpointOf("one\n", 0);
    await writeFile(join(dir, "app.log.1"), "one\n");
    expect(await findCopy(checkpoint)).toBeUndefined();
  });
});
