import { ConfigError } from "./ConfigError.js";
import { ENV_PREFIX, envName } from "./optionNames.js";
import { quote } from "./quote.js";
import { OPTION_KEYS, optionDescriptor, type OptionKey } from "./shipLogsOptions.js";
import { splitList } from "./splitList.js";

/** Raw variable values, unvalidated: a list for a repeatable option. */
export type EnvironmentValues = { readonly [K in OptionKey]?: string | readonly string[] };

const KEY_BY_VARIABLE: ReadonlyMap<string, OptionKey> = new Map(OPTION_KEYS.map((key) => [envName(key), key]));

/**
 * The `SHIP_LOGS_*` variables. An empty variable counts as unset, as a unit
 * file's `Environment=SHIP_LOGS_REGION=` reads. An unknown `SHIP_LOGS_*` name
 * is an error: a misspelt variable would otherwise be silently ignored.
 */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): EnvironmentValues {
  const values: Record<string, string | readonly string[]> = {};
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX)) continue;
    const key = KEY_BY_VARIABLE.get(variable);
    if (key === undefined) {
      // Without its value: an unknown variable may hold anything, a secret key included.
      throw new ConfigError(`unknown environment variable ${quote(variable)} (see --help)`, variable);
    }
    if (text === undefined || text === "") continue;
    values[key] = optionDescriptor(key).repeatable === true ? splitList(text) : text;
  }
  return values as EnvironmentValues;
}
