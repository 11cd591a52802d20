import { stat } from "node:fs/promises";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import { openFile } from "./openFile.js";
import { matchesCheckpoint } from "./resolveCheckpoint.js";

/**
 * Device numbers are not stable across reboots: NVMe names on Nitro
 * instances, device-mapper minors, btrfs and overlay mounts can all come back
 * numbered differently. Checkpoints are keyed by device and inode, so after
 * such a reboot every file would look new (shipped again from its start) and
 * every file rotated meanwhile gone (its unread end lost). Filebeat's
 * `inode_marker` exists for the same trap.
 *
 * A checkpoint whose path now holds a file with its inode, on another device,
 * and that still starts with the bytes it shipped, tells the device's new
 * number. Every checkpoint of the old number moves to it, rotated files
 * included; all moves apply at once, so two devices that swapped numbers swap
 * back. Returns the moves made (old → new).
 */
export async function remapDevices(checkpoints: readonly FileCheckpoint[]): Promise<Map<string, string>> {
  const moves = new Map<string, string>();
  for (const checkpoint of checkpoints) {
    if (moves.has(checkpoint.dev)) continue;
    const info = await stat(checkpoint.path, { bigint: true }).catch(() => undefined);
    if (info?.isFile() !== true || info.ino.toString() !== checkpoint.ino || info.dev.toString() === checkpoint.dev) continue;
    const file = await openFile(checkpoint.path).catch(() => undefined);
    if (file === undefined) continue;
    try {
      if (await matchesCheckpoint(file, { ...checkpoint, dev: file.dev })) moves.set(checkpoint.dev, file.dev);
    } finally {
      await file.handle.close();
    }
  }
  for (const checkpoint of checkpoints) checkpoint.dev = moves.get(checkpoint.dev) ?? checkpoint.dev;
  return moves;
}
