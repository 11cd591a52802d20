/** The public API of the configuration loader, for the CLI: what src/cli/ takes from it. */
export { ConfigError } from "./ConfigError.js";
export { loadConfig } from "./loadConfig.js";
export { OptionValueError } from "./OptionValueError.js";
export { renderHelp } from "./renderHelp.js";
export type { ShipLogsConfig } from "./ShipLogsConfig.js";
export type { Command } from "./shipLogsOptions.js";
