import type { Logger } from "pino";
import { FatalError } from "../errors/FatalError.js";
import { stateDirError } from "./stateDirError.js";
import { StateCorruptError, StateTooNewError, type LoadedState, type StateStore } from "./StateStore.js";

/**
 * The saved state, or an empty one after moving a corrupt file aside: a
 * shipper that refuses to start ships nothing, while one that starts over
 * re-sends what the files still hold, under new keys.
 */
export async function readState(store: StateStore, logger: Logger): Promise<LoadedState> {
  try {
    await store.init();
    return await store.load();
  } catch (error) {
    if (error instanceof StateTooNewError) {
      throw new FatalError(`${error.message}: ${error.advice}`);
    }
    if (!(error instanceof StateCorruptError)) throw await stateDirError(store.dir, error, "cannot use");
    let aside: string;
    try {
      aside = await store.quarantine();
    } catch (renameError) {
      throw new FatalError(`${error.message}, and it cannot be moved aside: ${(renameError as NodeJS.ErrnoException).code ?? String(renameError)}`);
    }
    logger.error(
      { reason: error.message, movedTo: aside },
      "state file is corrupt: moved aside, starting with empty state; the watched files are shipped again from their start, so lines already in S3 may arrive a second time under new keys",
    );
    return { files: [], rotationsUnmarked: false };
  }
}
