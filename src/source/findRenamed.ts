import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import { openFile, type OpenFile } from "./openFile.js";
import { matchesCheckpoint } from "./resolveCheckpoint.js";

/**
 * Where a checkpointed file went after a rename (logrotate's default moves
 * `app.log` to `app.log.1` in the same directory): the sibling with the same
 * identity, opened, or undefined when it is gone (deleted, or compressed into
 * a new file). This lets a restart finish a file that rotated while the
 * shipper was down, which peers that only follow globs lose.
 */
export async function findRenamed(checkpoint: FileCheckpoint): Promise<OpenFile | undefined> {
  const dir = dirname(checkpoint.path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
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
      return file;
    }
    await file.handle.close();
  }
  return undefined;
}
