import { readdir, realpath } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isRotatedName } from "./isRotatedName.js";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import { openFile, type OpenFile } from "./openFile.js";
import { freshCheckpoint, matchesCheckpoint } from "./resolveCheckpoint.js";

/**
 * Copies a copytruncate made after `copy`, the one found holding a
 * checkpoint's old content: the file was copied and truncated again before
 * ship-logs saw the first truncation (two rotations during one S3 outage,
 * while every poll waited for an upload slot, or between two `--once` runs).
 * What was written between the two truncations was never read, and is in
 * the later copies only. A later copy sits beside `copy`, is named after the
 * truncated file at `path` (or the file a symlink there leads to) plus a
 * rotation suffix, changed after `copy` did, and is not a file `isFollowed`
 * says is followed already (or matched by a glob) nor one a checkpoint
 * holds. Returned open, oldest first: the order the content was written in.
 */
export async function findLaterCopies(
  path: string,
  copy: OpenFile,
  checkpoints: readonly FileCheckpoint[],
  isFollowed: (file: OpenFile) => boolean,
): Promise<OpenFile[]> {
  const names = [basename(path), basename(await realpath(path).catch(() => path))];
  const dir = dirname(copy.path);
  const copyChanged = (await copy.handle.stat({ bigint: true })).mtimeNs;
  const entries = await readdir(dir).catch(() => []);
  const later: { file: OpenFile; changed: bigint }[] = [];
  for (const candidate of entries) {
    if (!names.some((name) => isRotatedName(candidate, name))) continue;
    const candidatePath = join(dir, candidate);
    if (candidatePath === copy.path) continue;
    const file = await openFile(candidatePath).catch(() => undefined);
    if (file === undefined) continue;
    const changed = (await file.handle.stat({ bigint: true })).mtimeNs;
    const mayBeLater = changed > copyChanged && file.size > 0 && !(file.dev === copy.dev && file.ino === copy.ino) && !isFollowed(file);
    if (mayBeLater && !(await isCheckpointed(checkpoints, file))) {
      later.push({ file, changed });
    } else {
      await file.handle.close();
    }
  }
  return later.sort((a, b) => (a.changed < b.changed ? -1 : a.changed > b.changed ? 1 : 0)).map(({ file }) => file);
}

/** A later copy's checkpoint: a source id of its own, read whole, to its end, like a rotated file. */
export async function laterCopyCheckpoint(file: OpenFile): Promise<FileCheckpoint> {
  const checkpoint = await freshCheckpoint(file);
  checkpoint.rotated = true;
  return checkpoint;
}

/**
 * Whether a checkpoint holds the file: its identity and its content. By
 * identity alone, a copy given the inode of a deleted one (logrotate's
 * `rotate N` deletes the oldest copy just before it copies again, and ext4
 * hands the freed inode on) would count as shipped, its content lost.
 */
export async function isCheckpointed(checkpoints: readonly FileCheckpoint[], file: OpenFile): Promise<boolean> {
  for (const checkpoint of checkpoints) {
    if (checkpoint.dev === file.dev && checkpoint.ino === file.ino && (await matchesCheckpoint(file, checkpoint))) return true;
  }
  return false;
}
