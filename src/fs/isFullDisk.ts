/** A state dir out of space: the disk, the user's quota, or the file size limit (`ulimit -f`, LimitFSIZE=). */
const FULL_DISK_CODES = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);

export function isFullDisk(error: unknown): boolean {
  return FULL_DISK_CODES.has((error as NodeJS.ErrnoException).code ?? "");
}
