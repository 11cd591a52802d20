import { readdir, realpath } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import { openFile, type OpenFile } from "./openFile.js";

/** The first file the test accepted, and the code of the first directory that exists but could not be listed. */
export interface SiblingSearch {
  found: OpenFile | undefined;
  unreadable: string | undefined;
}

/**
 * Where a checkpointed file's rename or copy may be: beside its path, and
 * where the file really lives if a symlink led to it. Without `realDir`
 * (checkpoints of releases before it was recorded), a symlink at the path
 * still says where the files it leads to live: the file that replaced the
 * rotated one is there, beside it.
 */
async function searchDirs(checkpoint: FileCheckpoint): Promise<string[]> {
  const beside = dirname(checkpoint.path);
  if (checkpoint.realDir !== undefined) return checkpoint.realDir === beside ? [beside] : [beside, checkpoint.realDir];
  const linked = await realpath(checkpoint.path).then(dirname, () => undefined);
  if (linked === undefined || linked === (await realpath(beside).catch(() => beside))) return [beside];
  return [beside, linked];
}

/**
 * Opens each file where a checkpointed file's rename or copy may be, and
 * returns the first one `isIt` accepts, still open (every other is closed).
 * Files that cannot be opened are passed over. A directory that is gone
 * (ENOENT, ENOTDIR) proves nothing is there; one that exists but cannot be
 * listed is reported, since it may hold the file still.
 */
export async function findSibling(checkpoint: FileCheckpoint, isIt: (file: OpenFile) => Promise<boolean>): Promise<SiblingSearch> {
  let unreadable: string | undefined;
  for (const dir of await searchDirs(checkpoint)) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
      if (code !== "ENOENT" && code !== "ENOTDIR") unreadable ??= code;
      continue;
    }
    for (const name of names) {
      let file: OpenFile;
      try {
        file = await openFile(join(dir, name));
      } catch {
        continue;
      }
      if (await isIt(file)) return { found: file, unreadable };
      await file.handle.close();
    }
  }
  return { found: undefined, unreadable };
}
