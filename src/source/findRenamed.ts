import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import { openFile, type OpenFile } from "./openFile.js";
import { matchesCheckpoint } from "./resolveCheckpoint.js";
import { searchDirs } from "./searchDirs.js";

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
  if (atPath && atPath.dev.toString() === checkpoint.dev && atPath.ino.toString() === checkpoint.ino) {
    // Not renamed at all: the file is where it was (no longer matched by a
    // glob, or closed to save descriptors). Its checkpoint stays; no search.
    return { kind: "in-place" };
  }
  let unreadable: string | undefined;
  for (const dir of searchDirs(checkpoint)) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
      // Only a directory that is really gone proves the file is gone: an
      // unreadable one (EACCES at boot, a slow mount) may hold it still, and
      // forgetting its checkpoint would ship it again from the start.
      if (code !== "ENOENT" && code !== "ENOTDIR") unreadable ??= code;
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      let file: OpenFile;
      try {
        file = await openFile(path);
      } catch {
        continue;
      }
      if (file.dev === checkpoint.dev && file.ino === checkpoint.ino && (await matchesCheckpoint(file, checkpoint))) {
        return { kind: "found", file };
      }
      await file.handle.close();
    }
  }
  return unreadable === undefined ? { kind: "gone" } : { kind: "unknown", code: unreadable };
}
