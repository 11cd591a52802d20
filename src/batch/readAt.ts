import type { FileHandle } from "node:fs/promises";

/** Fills `buffer` from `position`; a shorter view of it where the file ends first. */
export async function readAt(handle: FileHandle, position: number, buffer: Buffer): Promise<Buffer> {
  const { length } = buffer;
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}
