import { mkdir } from "node:fs/promises";
import type { Logger } from "pino";
import { OptionValueError } from "../config/OptionValueError.js";
import { FatalError } from "../errors/FatalError.js";
import { lockStateDir, StateDirBusyError } from "./lockStateDir.js";
import { stateDirError } from "./stateDirError.js";
import { describeForeignOwner, foreignOwner } from "./stateDirOwner.js";

/** Before the state is read: another shipper on it is exit 1, not duplicate objects. */
export async function holdStateDir(dir: string, logger: Logger): Promise<void> {
  let unlocked: string | undefined;
  try {
    unlocked = await lockStateDir(dir, (fields, message) => logger.warn(fields, message));
  } catch (error) {
    if (error instanceof StateDirBusyError) throw new FatalError(`cannot use state directory ${dir}: ${error.message}`);
    throw await stateDirError(dir, error, "cannot use");
  }
  if (unlocked !== undefined) logger.warn({ stateDir: dir, reason: unlocked }, "cannot lock the state directory; make sure no other ship-logs uses it");
  await refuseForeignOwner(dir);
}

/**
 * A state dir another user owns is the configuration's to fix, exit 2 like
 * one this user may not write: before anything in it is read, chmodded or
 * written (its owner could have planted links where the temp files go).
 */
async function refuseForeignOwner(dir: string): Promise<void> {
  let foreign;
  try {
    // Where no lock was taken (not Linux), not made yet.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    foreign = await foreignOwner(dir);
  } catch (error) {
    throw await stateDirError(dir, error, "cannot use");
  }
  if (foreign !== undefined) throw new OptionValueError("stateDir", dir, describeForeignOwner(foreign, dir));
}
