import { realpath } from "node:fs/promises";
import { resolve } from "node:path";
import type { Logger } from "pino";
import type { ShipLogsConfig } from "../config/ShipLogsConfig.js";
import { directoryMatcher } from "./expandGlobs.js";
import { stateDirError } from "./stateDirError.js";

/**
 * The state dir's real path, which the globs' walk and the watcher compare
 * against theirs (the same directory may be spelled through a symlink or
 * `..`). A glob that covers it (/var/**) is a fair configuration: said once,
 * at debug level, not at every state save.
 */
export async function resolveStateDir(config: ShipLogsConfig, logger: Logger): Promise<string> {
  let real: string;
  try {
    real = await realpath(config.stateDir);
  } catch (error) {
    throw await stateDirError(config.stateDir, error, "cannot use");
  }
  const reaches = directoryMatcher(config.watch);
  if (reaches(real) || reaches(resolve(config.stateDir))) {
    logger.debug({ stateDir: real }, "the --watch globs reach the state directory; its files are ship-logs' own and are not shipped");
  }
  return real;
}
