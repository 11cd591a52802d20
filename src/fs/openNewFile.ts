import { constants } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";

/**
 * Opens `path` as a new file to write, never through a link: whatever is at
 * the name (a temp file a crash left, a symlink planted there) is removed
 * first, and O_EXCL with O_NOFOLLOW refuse what appears in between instead of
 * writing where it points. For temp files in the state dir, which a root
 * shipper must never write through.
 */
export async function openNewFile(path: string, mode = 0o600): Promise<FileHandle> {
  await rm(path, { force: true });
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
}
