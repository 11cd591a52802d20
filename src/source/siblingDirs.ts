import { realpath } from "node:fs/promises";
import { dirname } from "node:path";
import type { FileCheckpoint } from "./FileCheckpoint.js";

/**
 * Where a checkpointed file's rename or copy may be: beside its path, and
 * where the file really lives if a symlink led to it. Without `realDir`
 * (checkpoints of releases before it was recorded), a symlink at the path
 * still says where the files it leads to live: the file that replaced the
 * rotated one is there, beside it.
 */
export async function siblingDirs(checkpoint: FileCheckpoint): Promise<string[]> {
  const beside = dirname(checkpoint.path);
  if (checkpoint.realDir !== undefined) return checkpoint.realDir === beside ? [beside] : [beside, checkpoint.realDir];
  const linked = await realpath(checkpoint.path).then(dirname, () => undefined);
  if (linked === undefined || linked === (await realpath(beside).catch(() => beside))) return [beside];
  return [beside, linked];
}
