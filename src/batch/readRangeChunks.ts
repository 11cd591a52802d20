import type { FileHandle } from "node:fs/promises";
import { RangeGoneError } from "./RangeGoneError.js";

/** Read size when streaming a range: large enough that a read costs little, small enough to never matter. */
export const RANGE_CHUNK_BYTES = 1024 * 1024;

/**
 * The bytes [start, end) of a file, a `buffer` at a time, for ranges not to
 * be held whole. The one buffer is read into again and again: a chunk is
 * valid only until the next one is asked for. (Fresh buffers would leave
 * garbage the size of the range, which V8 frees only at its next collection.)
 * Throws `RangeGoneError` when the file ends before `end`.
 */
export async function* readRangeChunks(
  handle: FileHandle,
  start: number,
  end: number,
  buffer: Buffer = Buffer.allocUnsafe(Math.max(1, Math.min(RANGE_CHUNK_BYTES, end - start))),
): AsyncGenerator<Buffer, void, undefined> {
  for (let position = start; position < end; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
    if (bytesRead === 0) throw new RangeGoneError(`bytes ${position}-${end} are gone: the file ends at ${position}`);
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}
