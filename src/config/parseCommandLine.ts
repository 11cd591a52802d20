import { ConfigError } from "./ConfigError.js";
import { flagName } from "./optionNames.js";
import { quote } from "./quote.js";
import { COMMANDS, OPTION_KEYS, optionDescriptor, type Command, type OptionKey } from "./shipLogsOptions.js";

/** Raw flag values, unvalidated: a list for a repeatable option, else one string ("true" for a bare switch). */
export type FlagValues = { readonly [K in OptionKey]?: string | readonly string[] };

export type CommandLine =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "run"; readonly command: Command; readonly flags: FlagValues };

const KEY_BY_FLAG: ReadonlyMap<string, OptionKey> = new Map(OPTION_KEYS.map((key) => [flagName(key), key]));
const HELP_FLAGS: ReadonlySet<string> = new Set(["--help", "-h"]);
const END_OF_OPTIONS = "--";

/**
 * Splits argv (without node and the script) into the command and the raw flag
 * values. `--help`/`-h` or `--version` anywhere before `--` wins over everything
 * else, including errors, so that help is reachable from a broken command line.
 * Accepts `--flag value` and `--flag=value`; a switch takes no separate value
 * but accepts `--once=false`, so a flag can override `SHIP_LOGS_ONCE=true`.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const optionTokens = argv.slice(0, indexOrEnd(argv, END_OF_OPTIONS));
  if (optionTokens.some((token) => HELP_FLAGS.has(token))) return { kind: "help" };
  if (optionTokens.includes("--version")) return { kind: "version" };

  const flags: Record<string, string | string[]> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? "";
    if (token === END_OF_OPTIONS) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      positionals.push(token);
      continue;
    }
    const equals = token.indexOf("=");
    const name = equals === -1 ? token : token.slice(0, equals);
    const key = KEY_BY_FLAG.get(name);
    if (key === undefined) throw new ConfigError(`unknown option ${quote(name)} (see --help)`, name);
    const descriptor = optionDescriptor(key);
    let value: string;
    if (equals !== -1) {
      value = token.slice(equals + 1);
    } else if (descriptor.metavar === null) {
      value = "true";
    } else {
      const next = argv[i + 1];
      // A missing value must not silently swallow the next option as the value.
      if (next === undefined || next.startsWith("--")) {
        throw new ConfigError(`${name}: missing value ${descriptor.metavar} (write ${name}=VALUE for a value starting with "--")`, name);
      }
      value = next;
      i++;
    }
    flags[key] = addFlagValue(key, name, flags[key], value);
  }
  return { kind: "run", command: commandOf(positionals), flags: flags as FlagValues };
}

function addFlagValue(key: OptionKey, name: string, previous: string | string[] | undefined, value: string): string | string[] {
  if (optionDescriptor(key).repeatable === true) return [...(Array.isArray(previous) ? previous : []), value];
  if (typeof previous === "string") {
    throw new ConfigError(`${name}: given more than once (${quote(previous)}, then ${quote(value)})`, name);
  }
  return value;
}

function commandOf(positionals: readonly string[]): Command {
  const [first, second] = positionals;
  if (second !== undefined) throw new ConfigError(`unexpected argument ${quote(second)} (see --help)`, second);
  if (first === undefined) return "run";
  if (!Object.hasOwn(COMMANDS, first)) {
    throw new ConfigError(`unknown command ${quote(first)}: expected one of ${Object.keys(COMMANDS).join(", ")}`, first);
  }
  return first as Command;
}

function indexOrEnd(list: readonly string[], item: string): number {
  const index = list.indexOf(item);
  return index === -1 ? list.length : index;
}
