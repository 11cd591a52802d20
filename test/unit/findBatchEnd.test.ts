import { mkdtemp, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { findBatchEnd } from "../../src/batch/findBatchEnd.js";
import { withFileHandle } from "../support/withFileHandle.js";

const NEWLINE = 0x0a;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "find-batch-end-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let files = 0;
function withFile<T>(content: Buffer | string, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  return withFileHandle(join(dir, `f${files++}`), content, use);
}

/**
 * What a batch from `start` must be, by plain indexOf over the whole content:
 * up to the last "\n" before start + maxBytes (and the limit), or when a line
 * alone is longer than that, up to that line's end.
 */
function expectedEnd(content: Buffer, start: number, limit: number, maxBytes: number): number | undefined {
  const view = content.subarray(0, Math.min(limit, content.length));
  const bound = Math.min(start + maxBytes, limit);
  const last = view.subarray(0, bound).lastIndexOf(NEWLINE);
  if (last >= start) return last + 1;
  if (bound < start + maxBytes) return undefined;
  const next = view.indexOf(NEWLINE, bound);
  return next === -1 ? undefined : next + 1;
}

describe("findBatchEnd", () => {
  test("ends a batch after its last complete line within maxBytes; a partial line waits", async () => {
    await withFile("one\ntwo\nthree\npartial", async (handle) => {
      const scratch = Buffer.alloc(10);
      expect(await findBatchEnd(handle, 0, 22, 10, scratch)).toBe(8);
      expect(await findBatchEnd(handle, 8, 22, 10, scratch)).toBe(14);
      expect(await findBatchEnd(handle, 14, 22, 10, scratch), "a partial line waits").toBeUndefined();
      expect(await findBatchEnd(handle, 0, 22, 10, Buffer.alloc(2)), "a scratch smaller than the batch reads back in steps").toBe(8);
    });
  });

  test("a line longer than maxBytes is a batch of its own, found by scanning forward", async () => {
    const long = "x".repeat(50);
    await withFile(`a\n${long}\nb\n${long}`, async (handle) => {
      const scratch = Buffer.alloc(10);
      expect(await findBatchEnd(handle, 0, 106, 10, scratch)).toBe(2);
      expect(await findBatchEnd(handle, 2, 106, 10, scratch)).toBe(53);
      expect(await findBatchEnd(handle, 53, 106, 10, scratch)).toBe(55);
      expect(await findBatchEnd(handle, 55, 105, 10, scratch), "a long line without its newline waits").toBeUndefined();
      expect(await findBatchEnd(handle, 2, 52, 10, scratch), "the limit stops the scan before the newline").toBeUndefined();
    });
  });

  test("noNewlineBefore resumes the scan of a growing long line where the last call stopped", async () => {
    const long = "y".repeat(40);
    await withFile(`${long}\n`, async (handle) => {
      expect(await findBatchEnd(handle, 0, 41, 10, Buffer.alloc(10), 30)).toBe(41);
      // Trusts the hint: bytes before it are not read again (here they hold no newline anyway).
      expect(await findBatchEnd(handle, 0, 40, 10, Buffer.alloc(10), 30)).toBeUndefined();
      expect(await findBatchEnd(handle, 0, 41, 50, Buffer.alloc(50), 5), "a hint inside the batch window").toBe(41);
    });
  });

  test("a file that ends before the limit (truncated) ends the batch at its own last line", async () => {
    await withFile("one\ntwo\nthr", async (handle) => {
      expect(await findBatchEnd(handle, 0, 100, 50, Buffer.alloc(4))).toBe(8);
      expect(await findBatchEnd(handle, 8, 100, 50, Buffer.alloc(4))).toBeUndefined();
      expect(await findBatchEnd(handle, 8, 100, 2, Buffer.alloc(4)), "nor a long line's end beyond the file").toBeUndefined();
    });
  });

  test("agrees with indexOf for any content, start, limit, batch size and scratch size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes.map((byte) => (byte % 7 === 0 ? NEWLINE : byte)))),
        fc.nat(320),
        fc.nat(320),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 64 }),
        async (content, a, b, maxBytes, scratchBytes) => {
          const [start, limit] = a <= b ? [a, b] : [b, a];
          await withFile(content, async (handle) => {
            expect(await findBatchEnd(handle, start, limit, maxBytes, Buffer.alloc(scratchBytes))).toBe(expectedEnd(content, start, limit, maxBytes));
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
