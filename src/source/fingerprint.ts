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
  return fingerprintOf(await readHead(handle, Math.min(size, limit)));
}

/** Up to `length` bytes from the start of an open file: fewer if it is shorter now. */
export async function readHead(handle: FileHandle, length: number): Promise<Buffer> {
  return readSpan(handle, 0, length);
}

/**
 * Fingerprint of the up to `limit` bytes that end at `end` in an open file
 * (FileCheckpoint.tail): of fewer bytes, so unlike any taken at `end`
 * before, if the file is shorter now.
 */
export async function fingerprintBefore(handle: FileHandle, end: number, limit = FINGERPRINT_BYTES): Promise<Fingerprint> {
  const length = Math.min(end, limit);
  return fingerprintOf(await readSpan(handle, end - length, length));
}

/** Up to `length` bytes from `position` of an open file: fewer if it ends first. */
async function readSpan(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, position + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buffer.subarray(0, read);
}

export function fingerprintOf(bytes: Buffer): Fingerprint {
  return { hash: createHash("sha256").update(bytes).digest("hex"), length: bytes.length };
}
