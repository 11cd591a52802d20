import { describe, expect, it } from "vitest";
import { loadConfig, renderHelp } from "../../src/config/index.js";
import { OPTION_KEYS, SHIP_LOGS_OPTIONS } from "../../src/config/shipLogsOptions.js";
import { envName, flagName } from "../../src/config/optionNames.js";
import { renderOptionsMarkdown } from "../support/renderOptionsMarkdown.js";
import { fieldSchema } from "../../src/config/sourceSchema.js";
import type { Fallback } from "../../src/config/OptionDescriptor.js";

function constants(fallback: Fallback): string[] {
  if (fallback.kind === "constant") return [fallback.raw];
  if (fallback.kind === "environment") return constants(fallback.otherwise);
  return [];
}

describe("the option table", () => {
  it("derives flag and variable names from the camelCase key", () => {
    expect(flagName("flushInterval")).toBe("--flush-interval");
    expect(envName("flushInterval")).toBe("SHIP_LOGS_FLUSH_INTERVAL");
    expect(flagName("imdsEndpoint")).toBe("--imds-endpoint");
    expect(envName("config")).toBe("SHIP_LOGS_CONFIG");
  });

  it("holds every option the SPEC lists, and the later additions", () => {
    expect(OPTION_KEYS.map(flagName)).toEqual([
      "--watch",
      "--bucket",
      "--prefix",
      "--state-dir",
      "--endpoint",
      "--region",
      "--imds-endpoint",
      "--credentials",
      "--flush-interval",
      "--batch-max-bytes",
      "--compression",
      "--compression-level",
      "--key-layout",
      "--key-template",
      "--once",
      "--log-level",
      "--stop-timeout",
      "--request-timeout",
      "--flush-on-rebalance",
      "--expected-bucket-owner",
      "--sse",
      "--sse-kms-key-id",
      "--storage-class",
      "--checksum",
      "--metrics-listen",
      "--json",
      "--config",
    ]);
  });

  it.each(OPTION_KEYS)("has a default for %s that passes its own validation", (key) => {
    for (const raw of constants(SHIP_LOGS_OPTIONS[key].fallback)) {
      expect(fieldSchema(SHIP_LOGS_OPTIONS[key]).parse(raw).ok).toBe(true);
    }
  });

  it("gives every option a one-line description", () => {
    for (const key of OPTION_KEYS) expect(SHIP_LOGS_OPTIONS[key].description).toMatch(/^[^\n]+$/);
  });
});

describe("renderOptionsMarkdown", () => {
  const markdown = renderOptionsMarkdown();
  const rows = markdown.trimEnd().split("\n");

  it("is a five-column table with a row for every option, --help and --version", () => {
    expect(rows[0]).toBe("| flag | env | file key | default | meaning |");
    expect(rows).toHaveLength(2 + OPTION_KEYS.length + 2);
    for (const row of rows) {
      // Five cells: six unescaped pipes.
      expect(row.match(/(?<!\\)\|/g)).toHaveLength(6);
    }
  });

  it.each(OPTION_KEYS)("lists %s with its flag, variable, file key and meaning", (key) => {
    const row = rows.find((line) => line.startsWith(`| \`${flagName(key)}`));
    expect(row).toBeDefined();
    expect(row).toContain(`\`${envName(key)}\``);
    if (key !== "config") expect(row).toContain(`| \`${key}\` |`);
    expect(row).toContain(SHIP_LOGS_OPTIONS[key].description.replace(/\|/g, "\\|"));
  });

  it("shows defaults as the SPEC writes them", () => {
    expect(markdown).toContain("| `--prefix P` | `SHIP_LOGS_PREFIX` | `prefix` | `\"\"` | key prefix |");
    expect(markdown).toContain("`$STATE_DIRECTORY` (its first path), else `/var/lib/ship-logs`");
    expect(markdown).toContain("| `--credentials imds\\|chain` |");
    expect(markdown).toContain("`--watch GLOB` (repeatable)");
  });
});

describe("renderHelp", () => {
  const help = renderHelp();

  it.each(OPTION_KEYS)("documents %s", (key) => {
    expect(help).toContain(flagName(key));
    expect(help).toContain(SHIP_LOGS_OPTIONS[key].description);
  });

  it("documents the commands, --help, --version and the other sources", () => {
    for (const text of ["Usage: ship-logs [run|check|status] [OPTIONS]", "-h, --help", "--version", "SHIP_LOGS_<OPTION>", "flag > environment > config file > default"]) {
      expect(help).toContain(text);
    }
  });

  it("is what the CLI gets: loadConfig only reports that help was asked for", async () => {
    expect(await loadConfig(["-h"], {})).toEqual({ kind: "help" });
  });
});
