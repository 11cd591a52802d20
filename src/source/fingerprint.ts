import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { readAt } from "../fs/readAt.js";

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
  return readAt(handle, 0, Buffer.alloc(length));
}

/**
 * Fingerprint of the up to `limit` bytes that end at `end` in an open file
 * (FileCheckpoint.tail): of fewer bytes, so unlike any taken at `end`
 * before, if the file is shorter now.
 */
export async function fingerprintBefore(handle: FileHandle, end: number, limit = FINGERPRINT_BYTES): Promise<Fingerprint> {
  const length = Math.min(end, limit);
  return fingerprintOf(await readAt(handle, end - length, Buffer.alloc(length)));
}

export function fingerprintOf(bytes: Buffer): Fingerprint {
  return { hash: createHash("sha256").update(bytes).digest("hex"), length: bytes.length };
}
