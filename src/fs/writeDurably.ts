import { rename, rm } from "node:fs/promises";
import { openNewFile } from "./openNewFile.js";

/**
 * Replaces `path` with `data`, whole or not at all: written to `temp`,
 * fsynced, then renamed over `path`. The directory is not synced here, so that
 * a caller writing several files syncs it once, after the last
 * (`syncDirectory`); until then the rename may not survive a crash.
 */
export async function writeDurably(path: string, data: Buffer | string, temp = `${path}.tmp`): Promise<void> {
  try {
    const handle = await openNewFile(temp);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    // On a full disk the writes are retried: a failed one must not leave its
    // partly written temp file behind to take more of the space.
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
