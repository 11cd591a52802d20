import { mkdtemp, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { findLineEnd } from "../../src/batch/findLineEnd.js";
import { withFileHandle } from "../support/withFileHandle.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "find-line-end-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let files = 0;
function withFile<T>(content: Buffer, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  return withFileHandle(join(dir, `f${files++}`), content, use);
}

/** What the scanner must answer: the offset after the first "\n" in [from, limit), by plain indexOf. */
function expected(content: Buffer, from: number, limit: number): number | undefined {
  const at = content.subarray(0, Math.min(limit, content.length)).indexOf(0x0a, from);
  return at === -1 ? undefined : at + 1;
}

describe("findLineEnd: the chunked newline scanner", () => {
  test("finds a newline in the first chunk, across chunk boundaries and in the last byte before the limit", async () => {
    const content = Buffer.from("aaaaaaa\nbbbbbbbbbbbbbbbbbb\ncc");
    await withFile(content, async (handle) => {
      expect(await findLineEnd(handle, 0, content.length, 4)).toBe(8);
      expect(await findLineEnd(handle, 8, content.length, 4)).toBe(27);
      expect(await findLineEnd(handle, 8, 27, 4)).toBe(27);
      expect(await findLineEnd(handle, 8, 26, 4), "the newline is at the limit, not before it").toBeUndefined();
      expect(await findLineEnd(handle, 27, content.length, 4), "a trailing partial line").toBeUndefined();
      expect(await findLineEnd(handle, 7, content.length, 1)).toBe(8);
    });
  });

  test("undefined for an empty range, and when the file ends before the limit", async () => {
    await withFile(Buffer.from("no newline here"), async (handle) => {
      expect(await findLineEnd(handle, 5, 5)).toBeUndefined();
      expect(await findLineEnd(handle, 0, 1_000_000, 4)).toBeUndefined();
    });
  });

  test("a 40 MiB line is scanned in 1 MiB chunks to its newline", async () => {
    const line = Buffer.alloc(40 * 1024 * 1024, 0x78);
    await withFile(Buffer.concat([line, Buffer.from("\nnext\n")]), async (handle) => {
      expect(await findLineEnd(handle, 0, line.length + 6)).toBe(line.length + 1);
      expect(await findLineEnd(handle, 0, line.length)).toBeUndefined();
    });
  });

  test("agrees with indexOf for any content, range and chunk size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes.map((byte) => (byte % 5 === 0 ? 0x0a : byte)))),
        fc.nat(320),
        fc.nat(320),
        fc.integer({ min: 1, max: 64 }),
        async (content, a, b, chunk) => {
          const [from, limit] = a <= b ? [a, b] : [b, a];
          await withFile(content, async (handle) => {
            expect(await findLineEnd(handle, from, limit, chunk)).toBe(expected(content, from, limit));
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
