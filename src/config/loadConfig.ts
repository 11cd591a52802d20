import { isUtf8 } from "node:buffer";
import { open } from "node:fs/promises";
import { checkCombinations } from "./checkCombinations.js";
import { ConfigError } from "./ConfigError.js";
import { envName, flagName } from "./optionNames.js";
import type { Fallback } from "./OptionDescriptor.js";
import type { OptionNamer } from "./OptionNamer.js";
import { parseCommandLine, type FlagValues } from "./parseCommandLine.js";
import { printable, quote } from "./quote.js";
import { readConfigFile, type ReadTextFile } from "./readConfigFile.js";
import { readEnvironment } from "./readEnvironment.js";
import { resolveFallback, variableValue } from "./resolveFallback.js";
import type { ShipLogsConfig, SourceValues } from "./ShipLogsConfig.js";
import { OPTION_KEYS, SHIP_LOGS_OPTIONS, optionDescriptor, type Command, type OptionKey } from "./shipLogsOptions.js";
import { CONFIG_FILE_SCHEMA, OPTIONS_SCHEMA } from "./sourceSchema.js";
import { validateSource, type SourceDescription } from "./validateSource.js";

export type LoadResult =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | {
      readonly kind: "run";
      readonly command: Command;
      readonly config: ShipLogsConfig;
      /** Names an option where its value came from, for errors found once the value is in use. */
      readonly nameOf: OptionNamer;
    };

export type Environment = Readonly<Record<string, string | undefined>>;

/** A config file is a few dozen lines; a bigger one is a mistake (`--config /dev/zero`, a log). */
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/**
 * Reads at most MAX_CONFIG_FILE_BYTES: reading /dev/zero or a huge file whole
 * would exhaust the unit's memory, and systemd would restart it into the
 * same. Any readable file works, `--config <(…)` and /dev/stdin included.
 */
const readTextFile: ReadTextFile = async (path) => {
  const handle = await open(path, "r");
  try {
    if ((await handle.stat()).isDirectory()) throw Object.assign(new Error("EISDIR: it is a directory"), { code: "EISDIR" });
    const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > MAX_CONFIG_FILE_BYTES) throw new Error(`more than a config file holds (at most ${MAX_CONFIG_FILE_BYTES} bytes)`);
    const text = buffer.subarray(0, filled);
    // Decoded leniently, a Latin-1 "é" would become U+FFFD in a prefix or a
    // glob without a word: in every key, or a glob that matches nothing.
    if (!isUtf8(text)) throw new Error("it is not UTF-8 text; save it as UTF-8");
    return text.toString("utf8");
  } finally {
    await handle.close();
  }
};

/**
 * Resolves the configuration: flag > SHIP_LOGS_* variable > config file >
 * default. The first source that gives an option gives all of it; a repeatable
 * option's lists are not merged across sources. Throws ConfigError for any
 * usage or configuration problem, and nothing else for bad input.
 *
 * @param argv the arguments after node and the script (`process.argv.slice(2)`)
 * @param env the environment (`process.env`)
 */
export async function loadConfig(
  argv: readonly string[],
  env: Environment,
  io: { readonly readTextFile: ReadTextFile } = { readTextFile },
): Promise<LoadResult> {
  const commandLine = parseCommandLine(argv);
  if (commandLine.kind !== "run") return commandLine;

  // An empty variable counts as unset, so only a flag can clear what the
  // environment or a shared config file sets for one host.
  const cleared = new Set(OPTION_KEYS.filter((key) => commandLine.flags[key] === "" && mayBeCleared(key)));
  const flagValues = Object.fromEntries(Object.entries(commandLine.flags).filter(([key]) => !cleared.has(key as OptionKey)));
  const flags = validateSource(OPTIONS_SCHEMA, flagValues, flagSource(commandLine.flags));
  const environment = validateSource(OPTIONS_SCHEMA, readEnvironment(env), environmentSource(env));
  const configFile = cleared.has("config") ? undefined : (flags.config ?? environment.config);
  const file = configFile === undefined ? {} : await loadConfigFile(configFile, io.readTextFile);

  const sources: readonly SourceValues[] = [flags, environment, file];
  const config = Object.fromEntries(
    OPTION_KEYS.map((key) => {
      const given = cleared.has(key) ? undefined : sources.map((source) => source[key]).find((value) => value !== undefined);
      const descriptor = optionDescriptor(key);
      // `status` only reads the state dir: it must not demand what only
      // shipping needs, nor refuse to run over another program's variable
      // that only shipping would read (an AWS_REGION it has no use for).
      const statusOnly = commandLine.command === "status" && key !== "stateDir";
      const fallback = statusOnly ? withoutForeignVariables(descriptor.fallback) : descriptor.fallback;
      const notNeeded = statusOnly && fallback.kind === "required";
      return [descriptor.field ?? key, given ?? (notNeeded ? (descriptor.repeatable ? [] : "") : resolveFallback(key, fallback, env))];
    }),
  );
  const nameOf = optionNamer(cleared.size === 0 ? sources : sources.map((source) => omit(source, cleared)), configFile, env);
  // --key-template replaces --key-layout. Given by different sources, the
  // stronger one decides, as for any option (a --key-template flag beats the
  // example config's keyLayout, and a --key-layout flag beats a template in
  // the file); given by the same one, one of them would be ignored in silence.
  const layoutFrom = cleared.has("keyLayout") ? -1 : sources.findIndex((source) => source.keyLayout !== undefined);
  const templateFrom = cleared.has("keyTemplate") ? -1 : sources.findIndex((source) => source.keyTemplate !== undefined);
  if (layoutFrom !== -1 && layoutFrom === templateFrom && commandLine.command !== "status") {
    const layout = nameOf("keyLayout");
    throw new ConfigError(`${layout.text} and ${nameOf("keyTemplate").text} exclude each other: give one`, layout.subject);
  }
  if (layoutFrom !== -1 && templateFrom > layoutFrom) delete config["keyTemplate"];
  // Built from the same table the type is derived from; the tests check the shape.
  const resolved = config as unknown as ShipLogsConfig;
  if (commandLine.command !== "status") checkCombinations(resolved, nameOf);
  return { kind: "run", command: commandLine.command, config: resolved, nameOf };
}

/**
 * Whether an empty flag (`--metrics-listen ""`) puts the option back to its
 * default: one whose default is "none" (no metrics, AWS's endpoint, IMDS's
 * region...), which no value could otherwise express. Options with a default
 * value take that value as a flag instead (`--prefix ""`).
 */
function mayBeCleared(key: OptionKey): boolean {
  const descriptor = optionDescriptor(key);
  return descriptor.repeatable !== true && mayBeAbsent(descriptor.fallback);
}

function mayBeAbsent(fallback: Fallback): boolean {
  return fallback.kind === "absent" || (fallback.kind === "environment" && mayBeAbsent(fallback.otherwise));
}

function omit(source: SourceValues, keys: ReadonlySet<OptionKey>): SourceValues {
  return Object.fromEntries(Object.entries(source).filter(([key]) => !keys.has(key as OptionKey)));
}

/** A fallback with the variables of other programs (AWS_REGION, STATE_DIRECTORY) passed over. */
function withoutForeignVariables(fallback: Fallback): Fallback {
  return fallback.kind === "environment" ? withoutForeignVariables(fallback.otherwise) : fallback;
}

/**
 * Names an option by the strongest source that gave it; one left to its
 * default, by the variable that default was read from (STATE_DIRECTORY, set
 * by systemd's StateDirectory=), else by its flag.
 */
function optionNamer(sources: readonly SourceValues[], configFile: string | undefined, env: Environment): OptionNamer {
  return (key) => {
    const from = sources.findIndex((source) => source[key] !== undefined);
    if (from === 1) return { text: envName(key), subject: envName(key) };
    if (from === 2 && configFile !== undefined) return { text: `${key} in config file ${printable(configFile)}`, subject: key };
    const variable = from === -1 ? fallbackVariable(optionDescriptor(key).fallback, env) : undefined;
    if (variable !== undefined) return { text: `${variable} (the default of ${flagName(key)})`, subject: variable };
    return { text: flagName(key), subject: flagName(key) };
  };
}

/** The foreign variable a fallback read its value from, if it did. */
function fallbackVariable(fallback: Fallback, env: Environment): string | undefined {
  if (fallback.kind !== "environment") return undefined;
  return variableValue(fallback, env) === undefined ? fallbackVariable(fallback.otherwise, env) : fallback.variable;
}

async function loadConfigFile(path: string, read: ReadTextFile): Promise<SourceValues> {
  const content = await readConfigFile(path, read);
  // `region:` with nothing after it (YAML null) leaves the option unset, like an
  // empty variable. Only known keys: a misspelt one is reported whatever its value.
  const values = Object.fromEntries(
    Object.entries(content).filter(([key, value]) => !(value === null && isFileKey(key))),
  );
  return validateSource(CONFIG_FILE_SCHEMA, values, fileSource(path, content));
}

function isFileKey(key: string): boolean {
  return Object.hasOwn(SHIP_LOGS_OPTIONS, key) && optionDescriptor(key as OptionKey).inFile !== false;
}

function itemOf(value: unknown, index: number | undefined): unknown {
  return index !== undefined && Array.isArray(value) ? (value as readonly unknown[])[index] : value;
}

function flagSource(flags: FlagValues): SourceDescription {
  return {
    label: (key) => flagName(key as OptionKey),
    subject: (key) => flagName(key as OptionKey),
    shown: (key, index) => itemOf(flags[key as OptionKey], index),
    unknownKey: (key) => new ConfigError(`unknown option ${quote(key)}`, key),
  };
}

function environmentSource(env: Environment): SourceDescription {
  return {
    label: (key) => envName(key as OptionKey),
    subject: (key) => envName(key as OptionKey),
    // The variable's text as set, before a list is split.
    shown: (key) => env[envName(key as OptionKey)],
    unknownKey: (key) => new ConfigError(`unknown environment variable ${quote(key)}`, key),
  };
}

function fileSource(path: string, content: Readonly<Record<string, unknown>>): SourceDescription {
  const where = `config file ${printable(path)}`;
  return {
    // An index only where the file has a list: `watch: ""` is reported as `watch`.
    label: (key, index) => `${where}: ${key}${index === undefined || !Array.isArray(content[key]) ? "" : `[${index}]`}`,
    subject: (key) => key,
    shown: (key, index) => itemOf(content[key], index),
    unknownKey: (key) => new ConfigError(`${where}: unknown key ${quote(key)}${suggestionFor(key)}`, key),
  };
}

/** `flush-interval`, `flush_interval`, `FlushInterval` -> did you mean "flushInterval"? */
function suggestionFor(key: string): string {
  const loose = (text: string) => text.replace(/[-_]/g, "").toLowerCase();
  const match = OPTION_KEYS.find((known) => loose(known) === loose(key));
  if (match === undefined) return "";
  if (optionDescriptor(match).inFile === false) return ` (${flagName(match)} cannot be set in the config file)`;
  return ` (did you mean "${match}"?)`;
}
