import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isRotatedName } from "./isRotatedName.js";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import { isSameFile } from "./isSameFile.js";

/**
 * Checkpoints from a state file of a release before they carried `rotated`.
 * That release read every checkpoint left at a path no glob matches to its
 * end: it moved a rotated file's checkpoint to the rotated name unmarked.
 * Read as they are, such a checkpoint is a file taken out of --watch, and a
 * rotated file the earlier release had not finished (it stopped during an S3
 * slowdown, or the file was rotated while it was stopped) sent its recorded
 * uploads and not one line more: the rest was lost across the upgrade.
 *
 * So a checkpoint at a rotated name of a watched path (`app.log.1`,
 * `app.log-20261207` beside a watched `app.log`) that may hold unread lines
 * is marked rotated, as that release would have treated it, and is read to
 * its end. The mark outlives the upgrade, so nothing else gets it: a watched
 * file taken out of --watch later, or a file taken out of --watch under that
 * release (whose growth it shipped at each start), would ship on for good.
 * Nor does one with nothing in flight whose file is at its path and read to
 * its end: nothing of it is unread.
 */
export async function markLegacyRotations(files: readonly FileCheckpoint[], isWatched: (path: string) => boolean): Promise<void> {
  for (const checkpoint of files) {
    if (isWatched(checkpoint.path) || !isRotatedFromWatched(checkpoint.path, isWatched)) continue;
    if (checkpoint.pending.length === 0 && (await readToEndInPlace(checkpoint))) continue;
    checkpoint.rotated = true;
  }
}

function isRotatedFromWatched(path: string, isWatched: (path: string) => boolean): boolean {
  const name = basename(path);
  for (let cut = 1; cut < name.length; cut += 1) {
    const base = name.slice(0, cut);
    if (isRotatedName(name, base) && isWatched(join(dirname(path), base))) return true;
  }
  return false;
}

async function readToEndInPlace(checkpoint: FileCheckpoint): Promise<boolean> {
  const info = await stat(checkpoint.path, { bigint: true }).catch(() => undefined);
  return isSameFile(info, checkpoint) && info.size <= BigInt(checkpoint.offset);
}
