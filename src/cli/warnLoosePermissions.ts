import { stat } from "node:fs/promises";
import type { Logger } from "pino";

/**
 * A config file that others may write can redirect the logs to another bucket
 * or endpoint: say so (once, at start) rather than trust it silently.
 */
export async function warnLoosePermissions(configFile: string | undefined, logger: Logger): Promise<void> {
  if (configFile === undefined) return;
  const info = await stat(configFile).catch(() => undefined);
  if (info === undefined || (info.mode & 0o022) === 0) return;
  logger.warn(
    { configFile, mode: (info.mode & 0o777).toString(8) },
    "config file is writable by group or others: anyone who can write it can redirect the logs (chmod go-w)",
  );
}
