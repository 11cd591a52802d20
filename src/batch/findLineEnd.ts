import type { FileHandle } from "node:fs/promises";

const NEWLINE = 0x0a;

/** How much of a line too long to hold is read per step while looking for its end. */
export const SCAN_CHUNK_BYTES = 1024 * 1024;

/**
 * The offset just past the first "\n" in [from, limit), or undefined when
 * there is none (or the file ends first). Reads `chunkBytes` at a time into
 * one reused buffer and keeps nothing: finding the end of a line of any
 * length costs one chunk of memory.
 */
export async function findLineEnd(
  handle: FileHandle,
  from: number,
  limit: number,
  chunkBytes: number = SCAN_CHUNK_BYTES,
): Promise<number | undefined> {
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, limit - from)));
  for (let position = from; position < limit; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit - position), position);
    if (bytesRead === 0) return undefined;
    const at = buffer.subarray(0, bytesRead).indexOf(NEWLINE);
    if (at !== -1) return position + at + 1;
    position += bytesRead;
  }
  return undefined;
}
