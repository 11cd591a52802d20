import { recordedEnd, type FileCheckpoint } from "./FileCheckpoint.js";
import { findSibling } from "./findSibling.js";
import { fingerprint } from "./fingerprint.js";
import type { OpenFile } from "./openFile.js";

/**
 * Where a truncated file's old content went when it was copied first
 * (logrotate's `copytruncate` writes `app.log.1` or `app.log-DATE` next to
 * it, or next to the file a symlink led to): the sibling, opened, that is
 * not the file itself, holds every byte the checkpoint read or recorded
 * uploads of, and starts with the head the checkpoint fingerprinted.
 * Undefined when no batch was cut yet (no head to recognise the copy
 * by) or no sibling matches: the bytes not read before the truncation are lost.
 */
export async function findCopy(checkpoint: FileCheckpoint): Promise<OpenFile | undefined> {
  if (checkpoint.fingerprintLength === 0) return undefined;
  const readTo = recordedEnd(checkpoint);
  return (await findSibling(checkpoint, (file) => isCopy(file, checkpoint, readTo))).found;
}

async function isCopy(file: OpenFile, checkpoint: FileCheckpoint, readTo: number): Promise<boolean> {
  const itself = file.dev === checkpoint.dev && file.ino === checkpoint.ino;
  if (itself || file.size < Math.max(readTo, checkpoint.fingerprintLength)) return false;
  // A directory or special file among the siblings fails to read: not a copy.
  const head = await fingerprint(file.handle, file.size, checkpoint.fingerprintLength).catch(() => undefined);
  return head?.hash === checkpoint.fingerprint;
}
