import type { OptionKey } from "./shipLogsOptions.js";

/** Every ship-logs variable starts with this; an unknown one is an error, to catch typos. */
export const ENV_PREFIX = "SHIP_LOGS_";

/** `flushInterval` -> `--flush-interval` */
export function flagName(key: OptionKey): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** `flushInterval` -> `SHIP_LOGS_FLUSH_INTERVAL` */
export function envName(key: OptionKey): string {
  return `${ENV_PREFIX}${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}
