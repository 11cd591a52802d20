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
 * and that still starts with the bytes it shipped (some bytes: an empty
 * fingerprint matches anything), tells the device's new number. Every
 * checkpoint of the old number moves to it, rotated files included; all moves
 * apply at once, so two devices that swapped numbers swap back. No move is
 * made from or onto a number that a file still at its path shows to be in
 * use as it was, nor one that would give two checkpoints one device and
 * inode. Returns the moves made (old → new).
 */
export async function remapDevices(checkpoints: readonly FileCheckpoint[]): Promise<Map<string, string>> {
  const moves = new Map<string, string>();
  const unchanged = new Set<string>();
  for (const checkpoint of checkpoints) {
    const info = await stat(checkpoint.path, { bigint: true }).catch(() => undefined);
    if (info?.isFile() !== true || info.ino.toString() !== checkpoint.ino) continue;
    const dev = info.dev.toString();
    if (dev === checkpoint.dev) {
      unchanged.add(dev);
      continue;
    }
    if (moves.has(checkpoint.dev) || checkpoint.fingerprintLength === 0) continue;
    const file = await openFile(checkpoint.path).catch(() => undefined);
    if (file === undefined) continue;
    try {
      if (await matchesCheckpoint(file, { ...checkpoint, dev: file.dev })) moves.set(checkpoint.dev, file.dev);
    } finally {
      await file.handle.close();
    }
  }
  for (const dev of unchanged) moves.delete(dev);
  // A move onto a number in use as it was, or one that would give a moved
  // checkpoint the device and inode of one that stays, is dropped. A number
  // only held by checkpoints of a disk that gave no word (its files empty or
  // rotated away) is no obstacle: in a swap, that disk moved too.
  for (let dropped = true; dropped; ) {
    dropped = false;
    const staying = new Set(checkpoints.filter((checkpoint) => !moves.has(checkpoint.dev)).map((checkpoint) => `${checkpoint.dev}:${checkpoint.ino}`));
    for (const [from, to] of moves) {
      const collides = checkpoints.some((checkpoint) => checkpoint.dev === from && staying.has(`${to}:${checkpoint.ino}`));
      if (unchanged.has(to) || collides) {
        moves.delete(from);
        dropped = true;
      }
    }
  }
  for (const checkpoint of checkpoints) checkpoint.dev = moves.get(checkpoint.dev) ?? checkpoint.dev;
  return moves;
}
