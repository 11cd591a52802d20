import { randomBytes } from "node:crypto";
import { recordedEnd, type FileCheckpoint } from "./FileCheckpoint.js";
import { fingerprint } from "./fingerprint.js";
import type { OpenFile } from "./openFile.js";
import { realDirOf } from "./realDirOf.js";

export type Resolution =
  | { kind: "known"; checkpoint: FileCheckpoint }
  | { kind: "new"; checkpoint: FileCheckpoint }
  /** Same inode, but the content before the checkpoint changed or shrank: truncated, copytruncated or reused. */
  | { kind: "replaced"; checkpoint: FileCheckpoint; previous: FileCheckpoint };

/** 12 hex characters: unique per file identity ever seen, short enough for keys. */
export function newSourceId(): string {
  return randomBytes(6).toString("hex");
}

/** Does the open file still hold the content the checkpoint was taken of? */
export async function matchesCheckpoint(file: OpenFile, checkpoint: FileCheckpoint): Promise<boolean> {
  if (file.dev !== checkpoint.dev || file.ino !== checkpoint.ino) return false;
  if (file.size < recordedEnd(checkpoint) || file.size < checkpoint.fingerprintLength) return false;
  const current = await fingerprint(file.handle, file.size, checkpoint.fingerprintLength);
  return current.hash === checkpoint.fingerprint;
}

export function findByInode(checkpoints: readonly FileCheckpoint[], file: OpenFile): FileCheckpoint | undefined {
  return checkpoints.find((checkpoint) => checkpoint.dev === file.dev && checkpoint.ino === file.ino);
}

export async function freshCheckpoint(file: OpenFile): Promise<FileCheckpoint> {
  // Nothing is shipped yet, so nothing is fingerprinted: length 0 matches any content.
  const print = await fingerprint(file.handle, file.size, 0);
  const checkpoint: FileCheckpoint = {
    sourceId: newSourceId(),
    path: file.path,
    dev: file.dev,
    ino: file.ino,
    fingerprint: print.hash,
    fingerprintLength: print.length,
    offset: 0,
    pending: [],
  };
  await noteRealDir(checkpoint, file);
  return checkpoint;
}

/** Records where the file really lives, for the searches after a rotation (findSibling); a link retargeted since is followed. */
async function noteRealDir(checkpoint: FileCheckpoint, file: OpenFile): Promise<void> {
  const realDir = await realDirOf(file);
  if (realDir === undefined) delete checkpoint.realDir;
  else checkpoint.realDir = realDir;
}

/**
 * The checkpoint an open file continues from. A known identity resumes where
 * S3 acknowledged; a changed one starts over with a new source id, so its
 * byte ranges can never produce the keys of the old content.
 */
export async function resolveCheckpoint(checkpoints: readonly FileCheckpoint[], file: OpenFile): Promise<Resolution> {
  const known = findByInode(checkpoints, file);
  if (known === undefined) return { kind: "new", checkpoint: await freshCheckpoint(file) };
  if (await matchesCheckpoint(file, known)) {
    known.path = file.path;
    await noteRealDir(known, file);
    return { kind: "known", checkpoint: known };
  }
  return { kind: "replaced", checkpoint: await freshCheckpoint(file), previous: known };
}
