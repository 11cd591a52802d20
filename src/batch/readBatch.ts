import type { FileHandle } from "node:fs/promises";

const NEWLINE = 0x0a;

/** A run of complete lines, as raw bytes, at [start, end) of its file. */
export interface Batch {
  start: number;
  end: number;
  data: Buffer;
  lines: number;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
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
 * The next batch of complete lines from `start`, at most `maxBytes` long unless
 * a single line is longer (a line is never split across objects), and never
 * reading past `limit`. Undefined when no complete line lies before `limit`:
 * a trailing line without "\n" waits for its newline.
 */
export async function readBatch(handle: FileHandle, start: number, limit: number, maxBytes: number): Promise<Batch | undefined> {
  let window = Math.min(maxBytes, limit - start);
  if (window <= 0) return undefined;
  let data = await readAt(handle, start, window);
  let lastNewline = data.lastIndexOf(NEWLINE);
  // A line longer than maxBytes: keep reading until its newline (or the limit).
  while (lastNewline === -1 && start + data.length < limit && data.length === window) {
    const more = await readAt(handle, start + data.length, Math.min(maxBytes, limit - start - data.length));
    data = Buffer.concat([data, more]);
    window = data.length;
    lastNewline = data.lastIndexOf(NEWLINE);
  }
  if (lastNewline === -1) return undefined;
  const body = data.subarray(0, lastNewline + 1);
  return { start, end: start + body.length, data: body, lines: countLines(body) };
}

/** Exactly the bytes [start, end): used to replay an upload intent after a crash. */
export async function readRange(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  return readAt(handle, start, end - start);
}
