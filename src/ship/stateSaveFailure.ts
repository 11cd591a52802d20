import { errorMessage } from "../log/errorMessage.js";
import type { ShipContext } from "./ShipContext.js";

/** A state dir out of space: the disk, the user's quota, or the file size limit (`ulimit -f`, LimitFSIZE=). */
const FULL_DISK_CODES = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);

/** What an operator can do about a code a state save fails with, when it is not plain. */
const ADVICE: Readonly<Record<string, string>> = {
  EMFILE: "too many open files: raise LimitNOFILE= or ulimit -n",
  ENFILE: "the system's open file table is full",
  EFBIG: "the file size limit is too low: raise LimitFSIZE= or ulimit -f",
  EDQUOT: "the disk quota is exhausted",
};

export function isFullDisk(error: unknown): boolean {
  return FULL_DISK_CODES.has((error as NodeJS.ErrnoException).code ?? "");
}

/**
 * A state save that failed where the run cannot go on: one line for the
 * operator (`ship-logs: cannot write to state directory DIR: CODE`), not a
 * stack trace. The CLI reports it as it does a FatalError (exit 1).
 */
export class StateSaveError extends Error {
  override readonly name = "StateSaveError";
  readonly code: string | undefined;

  constructor(dir: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code;
    const advice = code === undefined ? undefined : ADVICE[code];
    super(`cannot write to state directory ${dir}: ${code ?? errorMessage(cause)}${advice === undefined ? "" : ` (${advice})`}`, { cause });
    this.code = code;
  }
}

/**
 * The daemon's first save of the state (the files found at start). A full
 * disk does not end the start: said, like a failed save while running, and
 * the daemon runs on. No upload starts before its intent is saved, so the
 * files wait until space returns; batches already in the spool have their
 * intents saved and go out, and each one sent frees space. Ending here
 * instead, a spool that filled the disk blocked every later start. Any other
 * failure (EMFILE, EIO) ends the start in one line.
 */
export async function saveAtStart(ctx: ShipContext): Promise<void> {
  try {
    await ctx.saver.persist();
  } catch (error) {
    if (!isFullDisk(error)) throw new StateSaveError(ctx.saver.dir, error);
    ctx.logger.error(
      { stateDir: ctx.saver.dir, code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) },
      "cannot save state at start: the state dir is full; running on, but nothing new is uploaded (its intent cannot be saved) until space returns; spooled batches of files still followed are sent, and free their space",
    );
  }
}
