import { isFullDisk } from "../fs/isFullDisk.js";
import { errorMessage } from "../log/errorMessage.js";
import type { ShipContext } from "./ShipContext.js";
import { StateSaveError } from "./StateSaveError.js";

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
