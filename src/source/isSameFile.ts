import type { BigIntStats } from "node:fs";

/** Whether a stat (bigint, as inode numbers may pass 2^53) is of the file with this identity: device and inode, kept as strings. */
export function isSameFile(info: BigIntStats | undefined, file: { readonly dev: string; readonly ino: string }): info is BigIntStats {
  return info !== undefined && info.dev.toString() === file.dev && info.ino.toString() === file.ino;
}
