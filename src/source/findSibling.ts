import type { FileCheckpoint } from "./FileCheckpoint.js";
import type { OpenFile } from "./openFile.js";
import { visitSiblings } from "./visitSiblings.js";

/** The first file the test accepted, and the code of the first directory that exists but could not be listed. */
export interface SiblingSearch {
  found: OpenFile | undefined;
  unreadable: string | undefined;
}

/**
 * Returns the first file where a checkpointed file's rename or copy may be
 * that `isIt` accepts, still open (every other is closed). Enough for a
 * rename, found by identity: no two files have one.
 */
export async function findSibling(checkpoint: FileCheckpoint, isIt: (file: OpenFile) => Promise<boolean>): Promise<SiblingSearch> {
  let found: OpenFile | undefined;
  const unreadable = await visitSiblings(checkpoint, async (file) => {
    if (!(await isIt(file))) return false;
    found = file;
    return "stop";
  });
  return { found, unreadable };
}
