import type { FileCheckpoint } from "./FileCheckpoint.js";
import { moveCheckpoint } from "./FileCheckpoint.js";
import { findCopy } from "./findCopy.js";
import { openFile } from "./openFile.js";
import { matchesCheckpoint } from "./resolveCheckpoint.js";

/** A checkpoint that went to the copy of its truncated file. */
export interface ClaimedCopy {
  from: string;
  to: string;
}

/**
 * Before any file is attached (a start, a `--once`): a checkpoint whose file
 * was truncated since (the same inode, not the content shipped) and whose
 * content a copytruncate left in a copy moves to the copy, whatever its name.
 * A glob that matches the copy then continues it from the checkpoint instead
 * of shipping it whole, a second time; the truncated file is a new one. Left
 * as it is when another checkpoint already holds the copy: a run before this
 * one shipped it as a file of its own.
 */
export async function claimCopies(checkpoints: FileCheckpoint[]): Promise<ClaimedCopy[]> {
  const claimed: ClaimedCopy[] = [];
  for (const checkpoint of [...checkpoints]) {
    if (checkpoint.fingerprintLength === 0 || !checkpoints.includes(checkpoint)) continue;
    const file = await openFile(checkpoint.path).catch(() => undefined);
    if (file === undefined) continue;
    try {
      const truncated = file.dev === checkpoint.dev && file.ino === checkpoint.ino && !(await matchesCheckpoint(file, checkpoint));
      if (!truncated) continue;
    } finally {
      await file.handle.close();
    }
    const copy = await findCopy(checkpoint);
    if (copy === undefined) continue;
    try {
      const holders = checkpoints.filter((other) => other !== checkpoint && other.dev === copy.dev && other.ino === copy.ino);
      let shipped = false;
      for (const holder of holders) {
        if (await matchesCheckpoint(copy, holder)) shipped = true;
        // The inode of a deleted file, reused by the copy: that checkpoint is of nothing now.
        else checkpoints.splice(checkpoints.indexOf(holder), 1);
      }
      if (shipped) continue;
      claimed.push({ from: checkpoint.path, to: copy.path });
      moveCheckpoint(checkpoint, copy);
    } finally {
      await copy.handle.close();
    }
  }
  return claimed;
}
