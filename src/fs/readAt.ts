import type { FileHandle } from "node:fs/promises";

/** Node reads at most 2 GiB - 1 bytes per call; an uncompressed batch may be larger. */
const MAX_READ_BYTES = 1024 * 1024 * 1024;

/** Fills `buffer` from `position`; a shorter view of it where the file ends first. */
export async function readAt(handle: FileHandle, position: number, buffer: Buffer): Promise<Buffer> {
  const { length } = buffer;
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, Math.min(length - filled, MAX_READ_BYTES), position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}
