import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config/index.js";

const SYSTEMD_DIR = fileURLToPath(new URL("../../systemd/", import.meta.url));

/** The unit's view: systemd exports STATE_DIRECTORY for StateDirectory=ship-logs. */
const UNIT_ENV = { STATE_DIRECTORY: "/var/lib/ship-logs" };

async function runConfig(argv: string[], env: Record<string, string>) {
  const loaded = await loadConfig(argv, env);
  if (loaded.kind !== "run") throw new Error(`unexpected ${loaded.kind}`);
  return loaded.config;
}

describe("systemd/config.example.yaml", () => {
  test("is a valid config that ships to S3 with IMDSv2 credentials and state in StateDirectory", async () => {
    const config = await runConfig(["--config", join(SYSTEMD_DIR, "config.example.yaml")], UNIT_ENV);
    expect(config.watch.length).toBeGreaterThan(0);
    expect(config.bucket).toBe("my-log-bucket");
    expect(config.credentials).toBe("imds");
    expect(config.stateDir).toBe("/var/lib/ship-logs");
    expect(config.imdsEndpoint).toBe("http://169.254.169.254");
  });

  test("stays valid with every optional `#key: value` line uncommented", async () => {
    const text = await readFile(join(SYSTEMD_DIR, "config.example.yaml"), "utf8");
    const uncommented = text.replace(/^#(?=[a-z][A-Za-z]*: )/gm, "");
    expect(uncommented).not.toBe(text);
    const config = await loadConfig(["--config", "config.yaml"], UNIT_ENV, { readTextFile: async () => uncommented });
    if (config.kind !== "run") throw new Error(`unexpected ${config.kind}`);
    expect(config.config.region).toBe("eu-west-1");
    expect(config.config.sse).toBe("aws:kms");
  });
});

describe("systemd/ship-logs.default", () => {
  /** Every `KEY=VALUE` line, commented out or not: the examples must work once uncommented. */
  async function exampleVariables(): Promise<Record<string, string>> {
    const text = await readFile(join(SYSTEMD_DIR, "ship-logs.default"), "utf8");
    const entries = text
      .split("\n")
      .map((line) => /^#?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [match[1] ?? "", match[2] ?? ""] as const);
    return Object.fromEntries(entries);
  }

  test("names only variables ship-logs knows, with values it accepts", async () => {
    const variables = await exampleVariables();
    expect(Object.keys(variables).filter((name) => name.startsWith("SHIP_LOGS_")).length).toBeGreaterThan(0);
    // An unknown SHIP_LOGS_* name or a bad value is a ConfigError.
    const config = await runConfig(["--config", join(SYSTEMD_DIR, "config.example.yaml")], { ...UNIT_ENV, ...variables });
    expect(config.bucket).toBe(variables["SHIP_LOGS_BUCKET"]);
    expect(config.watch).toEqual(variables["SHIP_LOGS_WATCH"]?.split(","));
  });
});
