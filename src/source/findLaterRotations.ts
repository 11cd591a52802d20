import { readdir, realpath } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isRotatedName } from "./isRotatedName.js";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import { openFile, type OpenFile } from "./openFile.js";
import { freshCheckpoint } from "./resolveCheckpoint.js";
import { checkpointsOf } from "./checkpointsOf.js";

/**
 * Rotations of the file at the watched `path` made after `known`, one
 * ship-logs knows, and never read: the file was rotated more than once before
 * ship-logs saw the first rotation (during an S3 outage every poll waits for
 * an upload slot and a new file at the path waits for the next scan; or
 * between two `--once` runs). Two kinds, one test:
 * - copytruncate: `known` is the copy found holding a checkpoint's old
 *   content; what was written between two truncations is in the later copies
 *   only;
 * - rename (`create`): `known` is the followed file that left the path; the
 *   files created at the path and renamed away before ship-logs opened them
 *   (the intermediate generations) are known to no checkpoint, and their
 *   rotated names match no glob.
 * A later rotation sits beside `known`, beside `path`, or beside the file a
 * symlink at `path` leads to; is named after `path` (or that file) plus a
 * rotation suffix; changed after `known` did (so rotations from before, even
 * from before ship-logs was installed, are left alone); is not empty, not
 * `known`, not a file `isFollowed` says is followed already (or matched by a
 * glob), nor one a checkpoint holds. Returned open, oldest first: the order
 * the content was written in.
 */
export async function findLaterRotations(
  path: string,
  known: OpenFile,
  checkpoints: readonly FileCheckpoint[],
  isFollowed: (file: OpenFile) => boolean,
): Promise<OpenFile[]> {
  const real = await realpath(path).catch(() => path);
  const names = [...new Set([basename(path), basename(real)])];
  const dirs = [...new Set([dirname(known.path), dirname(path), dirname(real)])];
  const knownChanged = (await known.handle.stat({ bigint: true })).mtimeNs;
  const later: { file: OpenFile; changed: bigint }[] = [];
  // A file reachable from two of the directories (a symlink beside its target) is one rotation.
  const seen = new Set<string>([`${known.dev}:${known.ino}`]);
  for (const dir of dirs) {
    for (const candidate of await readdir(dir).catch(() => [])) {
      if (!names.some((name) => isRotatedName(candidate, name))) continue;
      const file = await openFile(join(dir, candidate)).catch(() => undefined);
      if (file === undefined) continue;
      const identity = `${file.dev}:${file.ino}`;
      const changed = (await file.handle.stat({ bigint: true })).mtimeNs;
      const mayBeLater = changed > knownChanged && file.size > 0 && !seen.has(identity) && !isFollowed(file);
      if (mayBeLater && (await checkpointsOf(checkpoints, file)).holding.length === 0) {
        seen.add(identity);
        later.push({ file, changed });
      } else {
        await file.handle.close();
      }
    }
  }
  return later.sort((a, b) => (a.changed < b.changed ? -1 : a.changed > b.changed ? 1 : 0)).map(({ file }) => file);
}

/** A later rotation's checkpoint: a source id of its own, read whole, to its end, like a rotated file. */
export async function laterRotationCheckpoint(file: OpenFile): Promise<FileCheckpoint> {
  const checkpoint = await freshCheckpoint(file);
  checkpoint.rotated = true;
  return checkpoint;
}
