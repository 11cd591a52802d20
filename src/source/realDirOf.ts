import { readlink, realpath } from "node:fs/promises";
import { dirname } from "node:path";
import type { OpenFile } from "./openFile.js";

/**
 * The directory an open file really lives in, when its path leads there
 * through a symlink to the file: Kubernetes' /var/log/containers/*.log point
 * into /var/log/pods/…, and the runtime rotates the file there. A rename or a
 * copytruncate's copy is then in that directory, not beside the link, and
 * the searches for them must look there too. Undefined when the file is in
 * its path's own directory (a symlinked directory included: a search of the
 * path's directory reads the same one), or where it cannot be told.
 *
 * Read through /proc/self/fd: the file that was opened, not whatever the link
 * points to by now.
 */
export async function realDirOf(file: OpenFile): Promise<string | undefined> {
  try {
    const real = await readlink(`/proc/self/fd/${file.handle.fd}`);
    // Deleted already: it has no directory to search.
    if (real.endsWith(" (deleted)") || !real.startsWith("/")) return undefined;
    const dir = dirname(real);
    return dir === (await realpath(dirname(file.path))) ? undefined : dir;
  } catch {
    return undefined;
  }
}
