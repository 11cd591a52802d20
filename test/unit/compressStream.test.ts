import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RangeGoneError } from "../../src/batch/RangeGoneError.js";
import { readRangeChunks } from "../../src/batch/readRangeChunks.js";
import { gzipOptions } from "../../src/sink/compress.js";
import { compressStream } from "../../src/sink/compressStream.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "compress-stream-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Text that compresses, random bytes that do not, and bytes that are not UTF-8. */
const CONTENT = Buffer.concat([
  Buffer.from("a log line that repeats\n".repeat(20_000)),
  randomBytes(300_000),
  Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28]),
]);

async function streamed(path: string, start: number, end: number, compression: "gzip" | "none", chunkBytes: number): Promise<Buffer> {
  const handle = await open(path);
  try {
    const out: Buffer[] = [];
    // Copied: a chunk is only valid until the next is asked for.
    for await (const chunk of compressStream(readRangeChunks(handle, start, end, Buffer.alloc(chunkBytes)), compression, 6)) out.push(Buffer.from(chunk));
    return Buffer.concat(out);
  } finally {
    await handle.close();
  }
}

describe("readRangeChunks → compressStream", () => {
  test("the stream compresses to exactly the bytes gzip makes of the whole range with the same options (a replay rewrites the same object)", async () => {
    const path = join(dir, "content.bin");
    await writeFile(path, CONTENT);
    for (const chunkBytes of [4096, 65_537, 1024 * 1024]) {
      const gz = await streamed(path, 100, CONTENT.length, "gzip", chunkBytes);
      expect(gz.equals(gzipSync(CONTENT.subarray(100), gzipOptions(6))), `chunk ${chunkBytes}`).toBe(true);
      expect(gunzipSync(gz).equals(CONTENT.subarray(100))).toBe(true);
    }
    expect((await streamed(path, 7, 5000, "none", 333)).equals(CONTENT.subarray(7, 5000))).toBe(true);
  });

  test("a file that no longer holds the range fails the stream with RangeGoneError", async () => {
    const path = join(dir, "short.bin");
    await writeFile(path, "only ten b");
    await expect(streamed(path, 0, 100, "gzip", 4)).rejects.toBeInstanceOf(RangeGoneError);
    await expect(streamed(path, 0, 100, "none", 4)).rejects.toBeInstanceOf(RangeGoneError);
  });

  test("stopping early stops reading the file", async () => {
    const path = join(dir, "early.bin");
    await writeFile(path, CONTENT);
    const handle = await open(path);
    let reads = 0;
    const counted = {
      read: (...args: Parameters<typeof handle.read>) => {
        reads += 1;
        return handle.read(...args);
      },
    } as unknown as typeof handle;
    for await (const chunk of compressStream(readRangeChunks(counted, 0, CONTENT.length, Buffer.alloc(1024)), "gzip", 6)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    const afterBreak = reads;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toBe(afterBreak);
    expect(reads).toBeLessThan(CONTENT.length / 1024);
    await handle.close();
  });
});
