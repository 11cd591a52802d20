import { describeFallback } from "../../src/config/describeFallback.js";
import { envName, flagName } from "../../src/config/optionNames.js";
import { ACTION_FLAGS, OPTION_KEYS, optionDescriptor, type OptionKey } from "../../src/config/shipLogsOptions.js";

const code = (text: string) => `\`${text}\``;

/** A table cell: a literal `|` would end the cell. */
const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The options as a Markdown table (flag | env | file key | default | meaning), for the README. */
export function renderOptionsMarkdown(): string {
  const rows = [
    ...OPTION_KEYS.map(rowOf),
    ...ACTION_FLAGS.map((action) => [
      code(action.alias === undefined ? action.flag : `${action.alias}, ${action.flag}`),
      "—",
      "—",
      "—",
      action.description,
    ]),
  ];
  return [
    "| flag | env | file key | default | meaning |",
    "|---|---|---|---|---|",
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
    "",
  ].join("\n");
}

function rowOf(key: OptionKey): string[] {
  const descriptor = optionDescriptor(key);
  const flag = code(descriptor.metavar === null ? flagName(key) : `${flagName(key)} ${descriptor.metavar}`);
  const repeatable = descriptor.repeatable === true;
  return [
    repeatable ? `${flag} (repeatable)` : flag,
    repeatable ? `${code(envName(key))} (comma- or newline-separated)` : code(envName(key)),
    descriptor.inFile === false ? "—" : code(key),
    describeFallback(descriptor.fallback, code),
    descriptor.description,
  ];
}
