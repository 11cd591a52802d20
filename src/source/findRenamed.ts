import { stat } from "node:fs/promises";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import { findSibling } from "./findSibling.js";
import type { OpenFile } from "./openFile.js";
import { matchesCheckpoint } from "./resolveCheckpoint.js";
import { isSameFile } from "./isSameFile.js";

/** Found elsewhere (and opened), still at its path, certainly gone, or not knowable right now. */
export type RenameSearch =
  | { kind: "found"; file: OpenFile }
  | { kind: "in-place" }
  | { kind: "gone" }
  | { kind: "unknown"; code: string };

/**
 * Where a checkpointed file went after a rename (logrotate's default moves
 * `app.log` to `app.log.1` in the same directory; behind a symlink, in the
 * directory the file really lives in): the file with the same identity, opened; or gone (deleted, or compressed into a new file). This lets a restart finish a file that rotated while the
 * shipper was down, which peers that only follow globs lose.
 */
export async function findRenamed(checkpoint: FileCheckpoint): Promise<RenameSearch> {
  const atPath = await stat(checkpoint.path, { bigint: true }).catch(() => undefined);
  if (isSameFile(atPath, checkpoint)) {
    // Not renamed at all: the file is where it was (no longer matched by a
    // glob, or closed to save descriptors). Its checkpoint stays; no search.
    return { kind: "in-place" };
  }
  const search = await findSibling(
    checkpoint,
    async (file) => file.dev === checkpoint.dev && file.ino === checkpoint.ino && (await matchesCheckpoint(file, checkpoint)),
  );
  if (search.found) return { kind: "found", file: search.found };
  // Only a directory that is really gone proves the file is gone: an
  // unreadable one (EACCES at boot, a slow mount) may hold it still, and
  // forgetting its checkpoint would ship it again from the start.
  return search.unreadable === undefined ? { kind: "gone" } : { kind: "unknown", code: search.unreadable };
}
