import { stat } from "node:fs/promises";
import type { FileCheckpoint } from "./FileCheckpoint.js";

/**
 * Checkpoints from a state file of a release before they carried `rotated`.
 * That release read every checkpoint left at a path no glob matches to its
 * end: it moved a rotated file's checkpoint to the rotated name unmarked.
 * Read as they are, such a checkpoint is a file taken out of --watch, and a
 * rotated file the earlier release had not finished (it stopped during an S3
 * slowdown, or the file was rotated while it was stopped) sent its recorded
 * uploads and not one line more: the rest was lost across the upgrade.
 *
 * So a checkpoint at a path the globs do not match that may hold unread
 * lines is marked rotated, as that release would have treated it, and is
 * read to its end. Left unmarked are the checkpoints of watched files (the
 * mark would outlive the upgrade: taken out of --watch later, such a file
 * would ship on), and one with nothing in flight whose file is at its path
 * and read to its end: nothing of it is unread, and out of --watch it stays out.
 */
export async function markLegacyRotations(files: readonly FileCheckpoint[], isWatched: (path: string) => boolean): Promise<void> {
  for (const checkpoint of files) {
    if (isWatched(checkpoint.path)) continue;
    if (checkpoint.pending.length === 0 && (await readToEndInPlace(checkpoint))) continue;
    checkpoint.rotated = true;
  }
}

async function readToEndInPlace(checkpoint: FileCheckpoint): Promise<boolean> {
  const info = await stat(checkpoint.path, { bigint: true }).catch(() => undefined);
  return info !== undefined && info.dev.toString() === checkpoint.dev && info.ino.toString() === checkpoint.ino && info.size <= BigInt(checkpoint.offset);
}
