import type { OptionKey } from "./shipLogsOptions.js";

/**
 * How an error names an option: as the operator gave it (`--sse`,
 * `SHIP_LOGS_SSE`, `sse in config file /etc/ship-logs.yaml`), so that the
 * line points at what to edit. `subject` is the bare name, for ConfigError.
 */
export type OptionNamer = (key: OptionKey) => { readonly text: string; readonly subject: string };
