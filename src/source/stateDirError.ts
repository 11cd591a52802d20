import { OptionValueError } from "../config/OptionValueError.js";
import { FatalError } from "../errors/FatalError.js";
import { describeDirError } from "./describeDirError.js";

/**
 * A state dir that is a file, that this user may not write, or that is on a
 * read-only file system (ProtectSystem=strict without StateDirectory= or
 * ReadWritePaths=) is the configuration's to fix: exit 2, which systemd does
 * not restart into the same failure. Anything else may pass: exit 1 (a full
 * disk, an I/O error, and ENOENT, which is also what a disk not mounted yet
 * at boot gives).
 */
export async function stateDirError(dir: string, error: unknown, doing: string): Promise<OptionValueError | FatalError> {
  const code = (error as NodeJS.ErrnoException).code;
  const problem =
    code === "EEXIST" || code === "ENOTDIR"
      ? "not a directory"
      : code === "EACCES" || code === "EPERM"
        ? `permission denied (${code}); the user ship-logs runs as must be able to write it`
        : code === "EROFS"
          ? "on a read-only file system (EROFS); with ProtectSystem=strict, give it StateDirectory= or ReadWritePaths="
          : undefined;
  if (problem !== undefined) return new OptionValueError("stateDir", dir, problem);
  // Still exit 1 (restarted): a disk mounted late at boot under a read-only
  // root looks the same, but the line says what else it may be.
  return new FatalError(`${doing} state directory ${dir}: ${await describeDirError(dir, error)}`);
}
