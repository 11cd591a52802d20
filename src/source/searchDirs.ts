import { dirname } from "node:path";
import type { FileCheckpoint } from "./FileCheckpoint.js";

/** Where a checkpointed file's rename or copy may be: beside its path, and where the file really lives if a symlink led to it. */
export function searchDirs(checkpoint: FileCheckpoint): string[] {
  const beside = dirname(checkpoint.path);
  return checkpoint.realDir === undefined || checkpoint.realDir === beside ? [beside] : [beside, checkpoint.realDir];
}
