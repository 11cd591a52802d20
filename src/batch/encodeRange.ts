import type { FileHandle } from "node:fs/promises";
import type { Compression } from "../sink/compress.js";
import { compressStream } from "../sink/compressStream.js";
import { countLines } from "./countLines.js";
import { joinBuffers } from "./joinBuffers.js";
import { outputBufferBytes } from "./outputBufferBytes.js";
import { RangeGoneError } from "./RangeGoneError.js";
import { readAt } from "../fs/readAt.js";
import { readRangeChunks } from "./readRangeChunks.js";

/** How a range becomes an object body. */
export interface RangeEncoding {
  readonly compression: Compression;
  readonly level: number;
  /** Compressed ÷ raw size expected of the range (the file's last batch), to size zlib's output buffer. */
  readonly expectedRatio: number;
}

/** An object's body and the lines it holds. */
export interface EncodedRange {
  body: Buffer;
  lines: number;
}

/**
 * Read size when compressing a batch. Each chunk is a round trip between
 * the main thread and zlib's thread; at 1 MiB, `--once` ran 5 % slower than
 * with whole 8 MiB batches, at 2 MiB as fast (bench/RESULTS.md).
 */
export const ENCODE_CHUNK_BYTES = 2 * 1024 * 1024;

/**
 * The size of the buffer `encodeRange` reads through: a chunk when it
 * compresses, the whole batch when the body is the raw bytes.
 */
export function encodeBufferBytes(compression: Compression, batchMaxBytes: number): number {
  return compression === "none" ? batchMaxBytes : Math.min(batchMaxBytes, ENCODE_CHUNK_BYTES);
}

/**
 * The object body of the complete lines [start, end), read through `buffer`.
 * With gzip the range streams through the compressor a chunk at a time, so a
 * batch is never held raw: four 8 MiB batches in flight used to be a third
 * of the peak RSS of `--once` (bench/RESULTS.md); the compressed body is,
 * when it fits as expected, zlib's output buffer itself. Without compression
 * the body is the bytes themselves, a view of `buffer`. Throws
 * `RangeGoneError` when the file no longer holds the range.
 *
 * `afterRead` runs once the range's last bytes are read, while they are
 * still compressing (a check that the file was not truncated meanwhile costs
 * no wait that way); its rejection is the result's.
 */
export async function encodeRange(
  handle: FileHandle,
  start: number,
  end: number,
  encoding: RangeEncoding,
  buffer: Buffer,
  afterRead: () => Promise<void> = async () => undefined,
): Promise<EncodedRange> {
  const { compression, level, expectedRatio } = encoding;
  if (compression === "none") {
    const body = await readAt(handle, start, buffer.subarray(0, end - start));
    if (body.length < end - start) throw new RangeGoneError(`bytes ${start}-${end} are gone: the file ends at ${start + body.length}`);
    await afterRead();
    return { body, lines: countLines(body) };
  }
  let lines = 0;
  let read = 0;
  let checked: Promise<void> | undefined;
  async function* counted(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
    for await (const chunk of chunks) {
      lines += countLines(chunk);
      read += chunk.length;
      if (read === end - start) {
        checked = afterRead();
        // Awaited below, after compression; until then a rejection is not unhandled.
        checked.catch(() => undefined);
      }
      yield chunk;
    }
  }
  const output: Buffer[] = [];
  const chunks = counted(readRangeChunks(handle, start, end, buffer));
  for await (const piece of compressStream(chunks, compression, level, outputBufferBytes(end - start, expectedRatio))) output.push(piece);
  await (checked ?? afterRead());
  return { body: joinBuffers(output), lines };
}
