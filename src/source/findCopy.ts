import { realpath } from "node:fs/promises";
import { basename } from "node:path";
import { recordedEnd, type FileCheckpoint } from "./FileCheckpoint.js";
import { fingerprint, fingerprintBefore } from "./fingerprint.js";
import { isRotatedName } from "./isRotatedName.js";
import type { OpenFile } from "./openFile.js";
import { visitSiblings } from "./visitSiblings.js";

/** The copy chosen, open, and whether the caller follows it already (or ships it on its own): then it is not to be finished from. */
export interface FoundCopy {
  file: OpenFile;
  followed: boolean;
}

/** What a candidate is ranked by: each later criterion only decides between candidates equal in the earlier ones. */
interface Candidate {
  file: OpenFile;
  followed: boolean;
  rotatedName: boolean;
  changedNs: bigint;
}

/**
 * Where a truncated file's old content went when it was copied first
 * (logrotate's `copytruncate` writes `app.log.1` or `app.log-DATE` next to
 * it, or next to the file a symlink led to). A sibling is a copy if it is
 * not the file itself, holds every byte the checkpoint read or recorded
 * uploads of, starts with the head the checkpoint fingerprinted and, when
 * the checkpoint has a tail fingerprint (FileCheckpoint.tail), holds those
 * bytes just before recordedEnd. The head alone also matches another log
 * that starts with the same banner, or an older copy of the file that
 * starts with the same bytes; taken for the copy, its bytes would ship
 * under this file's source id.
 *
 * Of several copies, the one returned is, in order of preference: one
 * `isFollowed` says is not followed or shipped on its own (a followed one
 * ships whole anyway; finishing from it would lose the real copy), one
 * named after the file with a rotation suffix (isRotatedName, against the
 * checkpoint's name and that of the file a symlink there leads to), then the
 * most recently modified (an older copy with the same head and tail is of
 * an earlier rotation). Every other is closed. Undefined when no batch was
 * cut yet (no head to recognise the copy by) or no sibling matches: the
 * bytes not read before the truncation are lost.
 */
export async function findCopy(checkpoint: FileCheckpoint, isFollowed: (file: OpenFile) => boolean | Promise<boolean>): Promise<FoundCopy | undefined> {
  if (checkpoint.fingerprintLength === 0) return undefined;
  const readTo = recordedEnd(checkpoint);
  const names = [basename(checkpoint.path), basename(await realpath(checkpoint.path).catch(() => checkpoint.path))];
  let best: Candidate | undefined;
  // Only the best so far is kept open: a directory of many copies with the
  // same head must not hold a descriptor for each.
  await visitSiblings(checkpoint, async (file) => {
    if (!(await isCopy(file, checkpoint, readTo))) return false;
    const candidate: Candidate = {
      file,
      followed: await isFollowed(file),
      rotatedName: names.some((name) => isRotatedName(basename(file.path), name)),
      changedNs: (await file.handle.stat({ bigint: true })).mtimeNs,
    };
    if (best !== undefined && !isBetter(candidate, best)) return false;
    await best?.file.handle.close();
    best = candidate;
    return true;
  });
  return best === undefined ? undefined : { file: best.file, followed: best.followed };
}

function isBetter(a: Candidate, b: Candidate): boolean {
  if (a.followed !== b.followed) return !a.followed;
  if (a.rotatedName !== b.rotatedName) return a.rotatedName;
  return a.changedNs > b.changedNs;
}

async function isCopy(file: OpenFile, checkpoint: FileCheckpoint, readTo: number): Promise<boolean> {
  const itself = file.dev === checkpoint.dev && file.ino === checkpoint.ino;
  if (itself || file.size < Math.max(readTo, checkpoint.fingerprintLength)) return false;
  // A directory or special file among the siblings fails to read: not a copy.
  const head = await fingerprint(file.handle, file.size, checkpoint.fingerprintLength).catch(() => undefined);
  if (head?.hash !== checkpoint.fingerprint) return false;
  const { tail } = checkpoint;
  if (tail === undefined) return true;
  const before = await fingerprintBefore(file.handle, readTo, tail.length).catch(() => undefined);
  return before?.hash === tail.hash && before.length === tail.length;
}
