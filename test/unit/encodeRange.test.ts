import { randomBytes } from "node:crypto";
import { mkdtemp, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ENCODE_CHUNK_BYTES, encodeBufferBytes, encodeRange, type RangeEncoding } from "../../src/batch/encodeRange.js";
import { outputBufferBytes } from "../../src/batch/outputBufferBytes.js";
import { RangeGoneError } from "../../src/batch/RangeGoneError.js";
import { gzipOptions } from "../../src/sink/compress.js";
import { withFileHandle } from "../support/withFileHandle.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "encode-range-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const LINES = Array.from({ length: 5_000 }, (_, i) => `2026-12-06T05:00:00Z line ${i} ${"z".repeat(i % 61)}\n`).join("");
/** Log lines, then bytes that do not compress (and are not UTF-8), then more lines. */
const CONTENT = Buffer.concat([Buffer.from(LINES), randomBytes(100_000), Buffer.from("\n"), Buffer.from(LINES)]);

function withContent<T>(use: (handle: FileHandle) => Promise<T>): Promise<T> {
  return withFileHandle(join(dir, "content.log"), CONTENT, use);
}

const GZIP: RangeEncoding = { compression: "gzip", level: 6, expectedRatio: 0.25 };
const NONE: RangeEncoding = { compression: "none", level: 6, expectedRatio: 1 };

function newlines(data: Buffer): number {
  return data.reduce((count, byte) => count + (byte === 0x0a ? 1 : 0), 0);
}

describe("encodeRange", () => {
  test("gzip: streams the range through a buffer much smaller than it, to exactly the bytes gzip makes of it whole", async () => {
    await withContent(async (handle) => {
      for (const bufferBytes of [997, 65_537]) {
        const { body, lines } = await encodeRange(handle, 100, CONTENT.length, GZIP, Buffer.alloc(bufferBytes));
        const range = CONTENT.subarray(100);
        // The same object bytes however it is read: a replay rewrites an identical object.
        expect(body.equals(gzipSync(range, gzipOptions(6))), `buffer of ${bufferBytes}`).toBe(true);
        expect(gunzipSync(body).equals(range)).toBe(true);
        expect(lines).toBe(newlines(range));
      }
    });
  });

  test("gzip: a body that fits zlib's output buffer is that buffer; one that does not is joined, to the same bytes", async () => {
    await withContent(async (handle) => {
      const range = CONTENT.subarray(100);
      const whole = gzipSync(range, gzipOptions(6));
      const fitting = whole.length / range.length;
      for (const expectedRatio of [fitting, fitting / 10]) {
        const { body } = await encodeRange(handle, 100, CONTENT.length, { ...GZIP, expectedRatio }, Buffer.alloc(65_536));
        expect(body.equals(whole), `ratio ${expectedRatio}`).toBe(true);
        // Fits: a view of the one output buffer zlib wrote into. Spills: a copy of exactly the body.
        const fits = expectedRatio === fitting;
        expect(body.buffer.byteLength, `ratio ${expectedRatio}`).toBe(fits ? outputBufferBytes(range.length, expectedRatio) : body.length);
      }
    });
  });

  test("none: the body is the raw range, a view of the buffer it was read into", async () => {
    await withContent(async (handle) => {
      const buffer = Buffer.alloc(20_000);
      const { body, lines } = await encodeRange(handle, 7, 15_007, NONE, buffer);
      expect(body.equals(CONTENT.subarray(7, 15_007))).toBe(true);
      expect(body.buffer).toBe(buffer.buffer);
      expect(lines).toBe(newlines(CONTENT.subarray(7, 15_007)));
    });
  });

  test("a file that no longer holds the range fails with RangeGoneError, whatever the encoding", async () => {
    await withContent(async (handle) => {
      const beyond = CONTENT.length + 10;
      await expect(encodeRange(handle, 0, beyond, GZIP, Buffer.alloc(4096))).rejects.toBeInstanceOf(RangeGoneError);
      await expect(encodeRange(handle, 0, beyond, NONE, Buffer.alloc(beyond))).rejects.toBeInstanceOf(RangeGoneError);
    });
  });

  test("the buffer it needs: a read chunk to compress, a whole batch to send raw", () => {
    expect(encodeBufferBytes("gzip", 8 * 1024 * 1024)).toBe(ENCODE_CHUNK_BYTES);
    expect(encodeBufferBytes("gzip", 4096)).toBe(4096);
    expect(encodeBufferBytes("none", 8 * 1024 * 1024)).toBe(8 * 1024 * 1024);
  });

  test("afterRead runs once the whole range is read, and its rejection is the result's", async () => {
    await withContent(async (handle) => {
      for (const encoding of [GZIP, NONE]) {
        const calls: number[] = [];
        await encodeRange(handle, 100, 30_100, encoding, Buffer.alloc(encoding === NONE ? 30_000 : 4096), async () => {
          calls.push(1);
        });
        expect(calls, encoding.compression).toEqual([1]);
        const truncated = new Error("truncated meanwhile");
        await expect(
          encodeRange(handle, 100, 30_100, encoding, Buffer.alloc(encoding === NONE ? 30_000 : 4096), () => Promise.reject(truncated)),
          encoding.compression,
        ).rejects.toBe(truncated);
      }
    });
  });
});
