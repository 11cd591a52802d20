import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname } from "node:path";

/** Why a directory could not be created: the deepest parent that exists, and what it refuses. */
interface MissingDirCause {
  parent: string;
  code: "EROFS" | "EACCES" | "EPERM";
}

/**
 * What really stopped `mkdir -p dir` when it says ENOENT: Node's recursive
 * mkdir reports ENOENT where a parent cannot be created, on a read-only file
 * system (ProtectSystem=strict without StateDirectory=) or in a directory
 * this user may not write. The deepest parent that exists tells which.
 * Undefined for any other error, and for an ENOENT under a writable parent.
 */
async function missingDirCause(dir: string, error: unknown): Promise<MissingDirCause | undefined> {
  if ((error as NodeJS.ErrnoException).code !== "ENOENT") return undefined;
  let parent = dirname(dir);
  while ((await stat(parent).catch(() => undefined)) === undefined) {
    if (parent === dirname(parent)) return undefined;
    parent = dirname(parent);
  }
  try {
    await access(parent, constants.W_OK);
    return undefined;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === "EROFS" || code === "EACCES" || code === "EPERM" ? { parent, code } : undefined;
  }
}

/** How `missingDirCause` reads in an error line: after the ENOENT it explains. */
function describeMissingDirCause({ parent, code }: MissingDirCause): string {
  return code === "EROFS"
    ? `${parent} is on a read-only file system (EROFS): with ProtectSystem=strict, give it StateDirectory= or ReadWritePaths= (or is its disk not mounted yet?)`
    : `${parent} is not writable by this user (${code})`;
}

/**
 * What went wrong making or writing `dir`, for an error line: the error's
 * code, and where it is an ENOENT that hides a read-only or unwritable
 * parent, that parent and why.
 */
export async function describeDirError(dir: string, error: unknown): Promise<string> {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  const cause = await missingDirCause(dir, error);
  return cause ? `${code}: ${describeMissingDirCause(cause)}` : code;
}
