/** The public API of the configuration loader, for the CLI. */
export { ConfigError } from "./ConfigError.js";
export { loadConfig, type Environment, type LoadResult } from "./loadConfig.js";
export { LOG_LEVELS, type LogLevel } from "./logLevels.js";
export type { OptionNamer } from "./OptionNamer.js";
export { ENV_PREFIX, envName, flagName } from "./optionNames.js";
export { OptionValueError } from "./OptionValueError.js";
export { parseCommandLine, type CommandLine, type FlagValues } from "./parseCommandLine.js";
export type { ReadTextFile } from "./readConfigFile.js";
export { renderHelp } from "./renderHelp.js";
export type { ShipLogsConfig } from "./ShipLogsConfig.js";
export { COMMANDS, OPTION_KEYS, SHIP_LOGS_OPTIONS, type Command, type OptionKey } from "./shipLogsOptions.js";
