import type { FileHandle } from "node:fs/promises";
import { findLineEnd } from "./findLineEnd.js";

const NEWLINE = 0x0a;

/**
 * A run of complete lines at [start, end) of its file. `data` holds the bytes,
 * except for a single line longer than the batch limit: that is never held
 * whole (it may be any length), and is uploaded by streaming [start, end).
 */
export interface Batch {
  start: number;
  end: number;
  data?: Buffer;
  lines: number;
}

/** Fills `buffer` from `position`; a shorter view of it at the end of the file. */
async function readAt(handle: FileHandle, position: number, buffer: Buffer): Promise<Buffer> {
  const { length } = buffer;
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

export function countLines(data: Buffer): number {
  let count = 0;
  for (let at = data.indexOf(NEWLINE); at !== -1; at = data.indexOf(NEWLINE, at + 1)) count += 1;
  return count;
}

/**
 * The next batch of complete lines from `start`, read into `buffer` (so at
 * most its length, `maxBytes`), never reading past `limit`; `data` is a view
 * of `buffer`. A line longer than `maxBytes` is a batch of its
 * own (a line is never split across objects) whose end is found by scanning
 * without keeping its bytes. `noNewlineBefore` is where an earlier call with
 * the same `start` gave up: the bytes before it hold no newline and are not
 * scanned again while a long line grows. Undefined when no complete line lies
 * before `limit`: a trailing line without "\n" waits for its newline.
 */
export async function readBatch(
  handle: FileHandle,
  start: number,
  limit: number,
  buffer: Buffer,
  noNewlineBefore: number = start,
): Promise<Batch | undefined> {
  if (limit <= start) return undefined;
  const maxBytes = buffer.length;
  let scanFrom = noNewlineBefore;
  if (scanFrom - start < maxBytes) {
    const data = await readAt(handle, start, buffer.subarray(0, Math.min(maxBytes, limit - start)));
    const lastNewline = data.lastIndexOf(NEWLINE);
    if (lastNewline !== -1) {
      const body = data.subarray(0, lastNewline + 1);
      return { start, end: start + body.length, data: body, lines: countLines(body) };
    }
    // No newline before the limit (or the end of the file): the line waits.
    if (data.length < maxBytes) return undefined;
    scanFrom = start + data.length;
  }
  const end = await findLineEnd(handle, scanFrom, limit);
  return end === undefined ? undefined : { start, end, lines: 1 };
}

/** The bytes [start, end), in a view of `buffer` (shorter if the file is): to replay an upload intent after a crash. */
export async function readRange(handle: FileHandle, start: number, end: number, buffer: Buffer): Promise<Buffer> {
  return readAt(handle, start, buffer.subarray(0, end - start));
}
