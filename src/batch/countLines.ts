import type { FileHandle } from "node:fs/promises";
import { readRangeChunks } from "./readRangeChunks.js";

const NEWLINE = 0x0a;

/** How many "\n" `data` holds: the lines of a batch, which ends at one. */
export function countLines(data: Buffer): number {
  let count = 0;
  for (let at = data.indexOf(NEWLINE); at !== -1; at = data.indexOf(NEWLINE, at + 1)) count += 1;
  return count;
}

/**
 * The lines of a file range too large to hold, counted a chunk at a time:
 * for a replayed range that streams into a multipart upload, whose object
 * metadata names its lines before the first byte is sent.
 */
export async function countRangeLines(handle: FileHandle, start: number, end: number): Promise<number> {
  let count = 0;
  for await (const chunk of readRangeChunks(handle, start, end)) count += countLines(chunk);
  return count;
}
