import type { FileCheckpoint } from "./FileCheckpoint.js";
import type { OpenFile } from "./openFile.js";
import { matchesCheckpoint } from "./resolveCheckpoint.js";

/** The checkpoints of an open file's identity (device and inode), told apart by its content. */
export interface CheckpointsOfFile {
  /** The file still holds what they were taken of: it is shipped under one of them. */
  holding: FileCheckpoint[];
  /**
   * Another content: a deleted file's, whose inode number was handed on to
   * this one (logrotate's `rotate N` deletes the oldest copy just before it
   * copies again, and ext4 hands the freed inode on).
   */
  reused: FileCheckpoint[];
}

/**
 * Which checkpoints hold the file, by its identity and its content. By
 * identity alone, a copy given the inode of a deleted one would count as
 * shipped, its content lost. The daemon and `--once` let the `reused` ones
 * go when they look for a copytruncate's copy (Daemon.shippedOnItsOwn,
 * shipOnce's findCopyToFinish).
 */
export async function checkpointsOf(checkpoints: readonly FileCheckpoint[], file: OpenFile): Promise<CheckpointsOfFile> {
  const found: CheckpointsOfFile = { holding: [], reused: [] };
  for (const checkpoint of checkpoints) {
    if (checkpoint.dev !== file.dev || checkpoint.ino !== file.ino) continue;
    if (await matchesCheckpoint(file, checkpoint)) found.holding.push(checkpoint);
    else found.reused.push(checkpoint);
  }
  return found;
}
