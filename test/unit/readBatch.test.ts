import { mkdtemp, open, rm, writeFile, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readBatch, readRange } from "../../src/batch/readBatch.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "read-batch-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function withFile<T>(name: string, content: string, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  const path = join(dir, name);
  await writeFile(path, content);
  const handle = await open(path);
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

describe("readBatch", () => {
  test("cuts complete lines up to the buffer's length and holds their bytes in it", async () => {
    await withFile("short.log", "one\ntwo\nthree\npartial", async (handle) => {
      expect(await readBatch(handle, 0, 22, Buffer.alloc(10))).toEqual({ start: 0, end: 8, data: Buffer.from("one\ntwo\n"), lines: 2 });
      expect(await readBatch(handle, 8, 22, Buffer.alloc(10))).toEqual({ start: 8, end: 14, data: Buffer.from("three\n"), lines: 1 });
      expect(await readBatch(handle, 14, 22, Buffer.alloc(10)), "a partial line waits").toBeUndefined();
    });
  });

  test("the batch is a view of the buffer it was given, so a pooled buffer is reused, not copied", async () => {
    await withFile("view.log", "one\ntwo\n", async (handle) => {
      const buffer = Buffer.alloc(16);
      const batch = await readBatch(handle, 0, 8, buffer);
      expect(batch?.data?.buffer).toBe(buffer.buffer);
      expect(batch?.data?.byteOffset).toBe(buffer.byteOffset);
      expect(await readRange(handle, 4, 8, buffer)).toEqual(Buffer.from("two\n"));
      expect(await readRange(handle, 4, 12, buffer), "a file shorter than the range gives what it holds").toEqual(Buffer.from("two\n"));
    });
  });

  test("a line longer than maxBytes is a batch of its own, found by scanning, without its bytes", async () => {
    const long = "x".repeat(50);
    await withFile("long.log", `a\n${long}\nb\n${long}`, async (handle) => {
      expect(await readBatch(handle, 0, 106, Buffer.alloc(10))).toEqual({ start: 0, end: 2, data: Buffer.from("a\n"), lines: 1 });
      expect(await readBatch(handle, 2, 106, Buffer.alloc(10))).toEqual({ start: 2, end: 53, lines: 1 });
      expect(await readBatch(handle, 53, 106, Buffer.alloc(10))).toEqual({ start: 53, end: 55, data: Buffer.from("b\n"), lines: 1 });
      expect(await readBatch(handle, 55, 105, Buffer.alloc(10)), "a long line without its newline waits").toBeUndefined();
      expect(await readBatch(handle, 2, 52, Buffer.alloc(10)), "the limit stops the scan before the newline").toBeUndefined();
    });
  });

  test("noNewlineBefore resumes the scan of a growing long line where the last call stopped", async () => {
    const long = "y".repeat(40);
    await withFile("growing.log", `${long}\n`, async (handle) => {
      expect(await readBatch(handle, 0, 41, Buffer.alloc(10), 30)).toEqual({ start: 0, end: 41, lines: 1 });
      // Trusts the hint: bytes before it are not read again (here they hold no newline anyway).
      expect(await readBatch(handle, 0, 40, Buffer.alloc(10), 30)).toBeUndefined();
      // A hint inside the first maxBytes changes nothing: the window is read as usual.
      expect(await readBatch(handle, 0, 41, Buffer.alloc(50), 5)).toEqual({ start: 0, end: 41, data: Buffer.from(`${long}\n`), lines: 1 });
    });
  });
});
