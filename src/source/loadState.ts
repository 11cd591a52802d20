import type { Logger } from "pino";
import { isFullDisk } from "../fs/isFullDisk.js";
import { globMatcher } from "./expandGlobs.js";
import { forgetOwnFiles } from "./forgetOwnFiles.js";
import { markLegacyRotations } from "./markLegacyRotations.js";
import { readState } from "./readState.js";
import { remapDevices } from "./remapDevices.js";
import { stateDirError } from "./stateDirError.js";
import type { ShipState, StateStore } from "./StateStore.js";

/**
 * The state, read as this release reads it (devices renumbered at boot, an
 * earlier release's checkpoints, ship-logs' own files let go), and saved back
 * at once: no upload may start before its key is saved,
 * so a state dir that cannot be written (read-only, full, another owner) ends
 * the start with one line here rather than with a stack trace at the first save.
 * A full one does not end the daemon's start (`fullDiskRunsOn`): its batches
 * in the spool need no save to go out, and sending them frees space. The
 * daemon saves again once it has found its files, and says so if that fails
 * too (saveAtStart).
 */
export async function loadState(store: StateStore, logger: Logger, fullDiskRunsOn: boolean, patterns: readonly string[], stateDir: string): Promise<ShipState> {
  const { rotationsUnmarked, ...state } = await readState(store, logger);
  const moves = await remapDevices(state.files);
  if (moves.size > 0) {
    logger.warn({ devices: Object.fromEntries(moves) }, "device numbers changed since the last run (disks renumbered at boot): checkpoints follow their files");
  }
  // With the devices they are on now: a checkpoint's file is compared with what is at its path.
  if (rotationsUnmarked) await markLegacyRotations(state.files, globMatcher(patterns));
  await forgetOwnFiles(state, stateDir, logger);
  try {
    await store.save(state);
  } catch (error) {
    if (fullDiskRunsOn && isFullDisk(error)) return state;
    throw await stateDirError(store.dir, error, "cannot write to");
  }
  return state;
}
