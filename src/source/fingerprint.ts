import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";

/**
 * How many leading bytes identify a file's content. Enough to tell a reused
 * inode or a rewritten file from the one that was checkpointed; small enough to
 * read on every check.
 */
export const FINGERPRINT_BYTES = 1024;

export interface Fingerprint {
  /** sha256 (hex) of the first `length` bytes. */
  hash: string;
  length: number;
}

/** Fingerprint of the first min(size, limit) bytes of an open file. */
export async function fingerprint(handle: FileHandle, size: number, limit = FINGERPRINT_BYTES): Promise<Fingerprint> {
  const length = Math.min(size, limit);
  const buffer = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return { hash: createHash("sha256").update(buffer.subarray(0, read)).digest("hex"), length: read };
}
