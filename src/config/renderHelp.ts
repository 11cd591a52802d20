import { describeFallback } from "./describeFallback.js";
import { envName, flagName } from "./optionNames.js";
import { ACTION_FLAGS, COMMANDS, OPTION_KEYS, optionDescriptor, type OptionKey } from "./shipLogsOptions.js";

const plain = (text: string) => text;
const MAX_LEFT_WIDTH = 28;

/** The `--help` text, ending in a newline; the CLI prints it to stdout. */
export function renderHelp(): string {
  const options: [string, string][] = OPTION_KEYS.map((key) => [usageOf(key), helpLineOf(key)]);
  const actions: [string, string][] = ACTION_FLAGS.map((action) => [
    action.alias === undefined ? action.flag : `${action.alias}, ${action.flag}`,
    action.description,
  ]);
  const commands: [string, string][] = Object.entries(COMMANDS);
  const lists = OPTION_KEYS.filter((key) => optionDescriptor(key).repeatable === true).map(envName);
  return [
    `Usage: ship-logs [${Object.keys(COMMANDS).join("|")}] [OPTIONS]`,
    "",
    "Tails log files and ships their lines to S3, signed with the instance profile's IMDSv2 credentials.",
    "",
    "Commands:",
    ...columns(commands),
    "",
    "Options:",
    ...columns([...options, ...actions]),
    "",
    `Every option can also be set in the environment as SHIP_LOGS_<OPTION> (${envName("flushInterval")}=30;`,
    `${lists.join(", ")} ${lists.length === 1 ? "takes" : "take"} a comma- or newline-separated list) or in the --config file`,
    `under its camelCase key (flushInterval: 30). Precedence: flag > environment > config file > default.`,
    "",
  ].join("\n");
}

function usageOf(key: OptionKey): string {
  const { metavar } = optionDescriptor(key);
  return metavar === null ? flagName(key) : `${flagName(key)} ${metavar}`;
}

function helpLineOf(key: OptionKey): string {
  const descriptor = optionDescriptor(key);
  const notes = [
    ...(descriptor.repeatable === true ? ["repeatable"] : []),
    descriptor.fallback.kind === "required" ? "required" : `default: ${describeFallback(descriptor.fallback, plain)}`,
  ];
  return `${descriptor.description} (${notes.join("; ")})`;
}

/** Two columns; a left cell too wide for the column puts its text on the next line. */
function columns(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.min(MAX_LEFT_WIDTH, Math.max(...rows.map(([left]) => left.length))) + 2;
  return rows.flatMap(([left, right]) =>
    left.length < width - 1 ? [`  ${left.padEnd(width)}${right}`] : [`  ${left}`, `  ${" ".repeat(width)}${right}`],
  );
}
