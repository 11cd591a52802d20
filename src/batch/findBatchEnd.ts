import type { FileHandle } from "node:fs/promises";
import { findLineEnd } from "./findLineEnd.js";
import { readAt } from "../fs/readAt.js";

const NEWLINE = 0x0a;

/** Bytes read per step when looking back for a batch's last newline: one step finds it for any ordinary log line. */
export const LOOK_BACK_BYTES = 64 * 1024;

/**
 * Where the next batch from `start` ends: just past the last "\n" before
 * `start + maxBytes` (and never past `limit`). Found by reading back from that
 * bound, a step of `scratch` (at most LOOK_BACK_BYTES) at a time, so a batch is
 * never held whole: its bytes are read once more, to compress them as they
 * stream. A line longer than `maxBytes` is a batch of its own, its end found
 * by scanning forward without keeping its bytes. `noNewlineBefore` is where an
 * earlier call with the same `start` gave up: the bytes before it hold no
 * newline and are not read again while a long line grows. Undefined when no
 * complete line lies before `limit`: a trailing line without "\n" waits.
 */
export async function findBatchEnd(
  handle: FileHandle,
  start: number,
  limit: number,
  maxBytes: number,
  scratch: Buffer,
  noNewlineBefore: number = start,
): Promise<number | undefined> {
  const bound = Math.min(start + maxBytes, limit);
  const floor = Math.max(start, noNewlineBefore);
  const step = Math.min(scratch.length, LOOK_BACK_BYTES);
  for (let to = bound; to > floor; ) {
    const from = Math.max(floor, to - step);
    // Shorter than asked when the file ends first: its bytes still end complete lines.
    const window = await readAt(handle, from, scratch.subarray(0, to - from));
    const at = window.lastIndexOf(NEWLINE);
    if (at !== -1) return from + at + 1;
    to = from;
  }
  // No newline before the bound: a line that waits, unless it is already longer than a batch.
  if (bound < start + maxBytes) return undefined;
  return findLineEnd(handle, Math.max(bound, floor), limit);
}
