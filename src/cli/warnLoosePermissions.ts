import { stat } from "node:fs/promises";
import type { Logger } from "pino";

/**
 * A config file that others may write can redirect the logs to another bucket
 * or endpoint: say so (once, at start) rather than trust it silently. Its
 * owner may always write it (chmod is theirs): one that is neither root nor
 * the user ship-logs runs as is said too.
 */
export async function warnLoosePermissions(configFile: string | undefined, logger: Logger): Promise<void> {
  if (configFile === undefined) return;
  const info = await stat(configFile).catch(() => undefined);
  if (info === undefined) return;
  if ((info.mode & 0o022) !== 0) {
    logger.warn(
      { configFile, mode: (info.mode & 0o777).toString(8) },
      "config file is writable by group or others: anyone who can write it can redirect the logs (chmod go-w)",
    );
  }
  const user = process.geteuid?.();
  if (user !== undefined && info.uid !== 0 && info.uid !== user) {
    logger.warn(
      { configFile, owner: info.uid, user },
      "config file is owned by another user than root or the one ship-logs runs as: its owner can redirect the logs (chown root)",
    );
  }
}
