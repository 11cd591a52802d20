import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import { openFile, type OpenFile } from "./openFile.js";
import { siblingDirs } from "./siblingDirs.js";

/**
 * Opens each file where a checkpointed file's rename or copy may be
 * (siblingDirs), and hands it to `visit`, which keeps it open (true) or has
 * it closed (false); `visit` returning "stop" keeps it open and ends the
 * search. Files that cannot be opened are passed over. A directory that is
 * gone (ENOENT, ENOTDIR) proves nothing is there; one that exists but
 * cannot be listed is reported (its code returned), since it may hold the
 * file still.
 */
export async function visitSiblings(checkpoint: FileCheckpoint, visit: (file: OpenFile) => Promise<boolean | "stop">): Promise<string | undefined> {
  let unreadable: string | undefined;
  for (const dir of await siblingDirs(checkpoint)) {
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
      const kept = await visit(file);
      if (kept === "stop") return unreadable;
      if (!kept) await file.handle.close();
    }
  }
  return unreadable;
}
