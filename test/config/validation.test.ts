import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, type ShipLogsConfig } from "../../src/config/index.js";
import { envName, flagName } from "../../src/config/optionNames.js";
import type { OptionKey } from "../../src/config/shipLogsOptions.js";

const CONFIG_PATH = "/etc/ship-logs.yaml";
const BASE = { watch: "/var/log/app.log", bucket: "logs" };

/** Loads `key = value` from one source; the other required options come from the config file. */
async function loadFrom(source: "flag" | "env" | "file", key: OptionKey, value: unknown): Promise<ShipLogsConfig> {
  const file: Record<string, unknown> = { ...BASE, ...(source === "file" ? { [key]: value } : {}) };
  const argv = ["--config", CONFIG_PATH, ...(source === "flag" ? [`${flagName(key)}=${String(value)}`] : [])];
  const env = source === "env" ? { [envName(key)]: String(value) } : {};
  const result = await loadConfig(argv, env, { readTextFile: async () => JSON.stringify(file) });
  if (result.kind !== "run") throw new Error("expected a run result");
  return result.config;
}

async function errorFrom(source: "flag" | "env" | "file", key: OptionKey, value: unknown): Promise<ConfigError> {
  const thrown: unknown = await loadFrom(source, key, value).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(thrown instanceof ConfigError)) throw new Error(`expected a ConfigError for ${key}=${JSON.stringify(value)}, got ${String(thrown)}`);
  return thrown;
}

const labels = {
  flag: (key: OptionKey) => flagName(key),
  env: (key: OptionKey) => envName(key),
  file: (key: OptionKey) => `config file ${CONFIG_PATH}: ${key}`,
};

/** [option, bad value as text, what the message says is expected] */
const INVALID: readonly (readonly [OptionKey, string, string])[] = [
  ["bucket", "ab", "expected an S3 bucket name of at least 3 characters"],
  ["bucket", "a".repeat(64), "expected an S3 bucket name of at most 63 characters"],
  ["bucket", "My_Bucket", "expected an S3 bucket name (lowercase letters, digits, dots and hyphens; starting and ending with a letter or digit)"],
  ["bucket", "-logs", "expected an S3 bucket name (lowercase letters, digits, dots and hyphens; starting and ending with a letter or digit)"],
  ["bucket", "logs.", "expected an S3 bucket name (lowercase letters, digits, dots and hyphens; starting and ending with a letter or digit)"],
  ["bucket", "my..logs", "expected an S3 bucket name without two adjacent dots"],
  ["bucket", "192.168.5.4", "expected an S3 bucket name that is not formatted as an IP address"],
  ["stateDir", "", "expected a non-empty path"],
  ["endpoint", "localhost:9000", "expected an http:// or https:// URL without user, query or fragment"],
  ["endpoint", "ftp://x", "expected an http:// or https:// URL without user, query or fragment"],
  ["endpoint", "http://user:pw@x", "expected an http:// or https:// URL without user, query or fragment"],
  ["endpoint", "http://x ", "expected an http:// or https:// URL without user, query or fragment"],
  ["region", "us east 1", "expected a region name such as us-east-1 (letters, digits and hyphens)"],
  ["region", "-us", "expected a region name such as us-east-1 (letters, digits and hyphens)"],
  ["imdsEndpoint", "https://169.254.169.254", "expected http://host[:port] with no path (IMDS is plain HTTP)"],
  ["imdsEndpoint", "http://169.254.169.254/latest", "expected http://host[:port] with no path (IMDS is plain HTTP)"],
  ["imdsEndpoint", "http://127.0.0.1:1338?x", "expected http://host[:port] with no path (IMDS is plain HTTP)"],
  ["imdsEndpoint", "169.254.169.254", "expected http://host[:port] with no path (IMDS is plain HTTP)"],
  ["credentials", "static", "expected one of imds, chain"],
  ["flushInterval", "abc", "expected a positive number of seconds (at most 86400)"],
  ["flushInterval", "0", "expected a positive number of seconds (at most 86400)"],
  ["flushInterval", "-1", "expected a positive number of seconds (at most 86400)"],
  ["flushInterval", "90000", "expected a positive number of seconds (at most 86400)"],
  ["flushInterval", "60s", "expected a positive number of seconds (at most 86400)"],
  ["flushInterval", " 60", "expected a positive number of seconds (at most 86400)"],
  ["batchMaxBytes", "1023", "expected a whole number of bytes from 1024 to 5 GiB (KiB, MiB, GiB suffixes allowed)"],
  ["batchMaxBytes", "6GiB", "expected a whole number of bytes from 1024 to 5 GiB (KiB, MiB, GiB suffixes allowed)"],
  ["batchMaxBytes", "1500.5", "expected a whole number of bytes from 1024 to 5 GiB (KiB, MiB, GiB suffixes allowed)"],
  ["batchMaxBytes", "8MB", "expected a whole number of bytes from 1024 to 5 GiB (KiB, MiB, GiB suffixes allowed)"],
  ["compression", "zstd", "expected one of gzip, none"],
  ["compressionLevel", "0", "expected a whole number from 1 to 9"],
  ["compressionLevel", "10", "expected a whole number from 1 to 9"],
  ["compressionLevel", "5.5", "expected a whole number from 1 to 9"],
  ["keyLayout", "flat", "expected one of default, hive"],
  ["keyTemplate", "{prefix}{yyyy}/{file}", "expected {instance} or {hostname} in the template, so that hosts of a fleet never share a key"],
  ["keyTemplate", "{prefix}{instance}/{date}", "expected only the tokens {prefix} {instance} {region} {account} {hostname} {file} {yyyy} {mm} {dd} {hh}; {date} is not one"],
  ["prefix", "/logs/", 'expected no empty, "." or ".." path segments (no leading "/", no "//")'],
  ["prefix", "logs//app/", 'expected no empty, "." or ".." path segments (no leading "/", no "//")'],
  ["prefix", "../logs/", 'expected no empty, "." or ".." path segments (no leading "/", no "//")'],
  ["prefix", "logs\\app/", 'expected no "\\" or control characters: they would be in every key'],
  ["prefix", "logs\tapp/", 'expected no "\\" or control characters: they would be in every key'],
  ["prefix", "logs\u007fapp/", 'expected no "\\" or control characters: they would be in every key'],
  ["keyTemplate", "{instance}", "expected {prefix} at the start of the template and nowhere else, so that keys stay under --prefix"],
  ["sseKmsKeyId", "", "expected a KMS key id, alias or ARN (printable ASCII, no spaces)"],
  // A CR left by a file written on Windows: Node would refuse the header at every upload.
  ["sseKmsKeyId", "alias/logs\r", "expected a KMS key id, alias or ARN (printable ASCII, no spaces)"],
  ["sseKmsKeyId", "alias/my logs", "expected a KMS key id, alias or ARN (printable ASCII, no spaces)"],
  ["once", "yes", "expected true, false, 1 or 0"],
  ["logLevel", "verbose", "expected one of fatal, error, warn, info, debug, trace, silent"],
  ["stopTimeout", "0", "expected a positive number of seconds (at most 86400)"],
  ["stopTimeout", "forever", "expected a positive number of seconds (at most 86400)"],
];

describe.each(["flag", "env", "file"] as const)("an invalid value from the %s", (source) => {
  it.each(INVALID)("%s = %j", async (key, value, expected) => {
    // An empty variable counts as unset, so it cannot be invalid.
    if (source === "env" && value === "") return;
    // An empty flag puts an option whose default is none back to it (loadConfig.test.ts).
    if (source === "flag" && value === "" && key === "sseKmsKeyId") return;
    const error = await errorFrom(source, key, value);
    // A URL's user and password, and its query, are never repeated (they may be keys).
    const shown =
      value === "http://user:pw@x"
        ? "http://<user and password hidden>@x"
        : typeof value === "string" && /^https?:\/\//.test(value)
          ? value.replace(/\?[^#]*/, "?<query hidden>")
          : value;
    // DEL, which JSON leaves raw, is escaped: a terminal would erase with it.
    expect(error.message).toBe(`ship-logs: ${labels[source](key)}: ${expected}, got ${JSON.stringify(shown).replace(/\u007f/g, "\\u007f")}`);
    expect(error.subject).toBe(source === "file" ? key : labels[source](key));
  });
});

describe("values only the config file can hold", () => {
  it.each([
    ["expectedBucketOwner", 12345678901, "expected a 12-digit AWS account id (quoted in YAML: unquoted, a leading 0 is lost), got 12345678901"],
    ["bucket", 123, "expected quoted text, got 123"],
    ["bucket", ["logs"], 'expected an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens), got ["logs"]'],
    ["prefix", 2024, "expected quoted text, got 2024"],
    ["prefix", { a: 1 }, 'expected a string, got {"a":1}'],
    ["sseKmsKeyId", 42, "expected quoted text, got 42"],
    ["keyTemplate", 7, "expected quoted text, got 7"],
    ["once", "maybe", 'expected true, false, 1 or 0, got "maybe"'],
    ["once", 2, "expected true, false, 1 or 0, got 2"],
    ["flushInterval", true, "expected a positive number of seconds (at most 86400), got true"],
    ["compression", ["gzip"], 'expected one of gzip, none, got ["gzip"]'],
    ["watch", [], "expected at least one GLOB, got []"],
    ["watch", { a: 1 }, 'expected a GLOB or a list of them, got {"a":1}'],
    ["watch", "", 'expected a non-empty glob, got ""'],
  ] as const)("%s = %j", async (key, value, expected) => {
    const error = await errorFrom("file", key, value);
    expect(error.message).toBe(`ship-logs: config file ${CONFIG_PATH}: ${key}: ${expected}`);
  });

  it("shortens a long value and keeps it on one line", async () => {
    const error = await errorFrom("file", "bucket", `x\n${"y".repeat(300)}\u2028`);
    expect(error.message).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(error.message).toMatch(/got "x\\ny+…$/);
  });
});

describe("valid values", () => {
  it.each([
    ["bucket", "my.logs-2024", "my.logs-2024"],
    ["bucket", "abc", "abc"],
    ["bucket", "ap-alias-abcdefgh-s3alias", "ap-alias-abcdefgh-s3alias"],
    ["endpoint", "https://s3.eu-west-1.amazonaws.com", "https://s3.eu-west-1.amazonaws.com"],
    ["endpoint", "http://127.0.0.1:9000/", "http://127.0.0.1:9000/"],
    ["region", "us-gov-west-1", "us-gov-west-1"],
    ["region", "auto", "auto"],
    ["imdsEndpoint", "http://[fd00:ec2::254]", "http://[fd00:ec2::254]"],
    ["imdsEndpoint", "http://localhost:1338/", "http://localhost:1338"],
    ["flushInterval", "0.5", 500],
    ["flushInterval", ".25", 250],
    ["flushInterval", "86400", 86_400_000],
    ["batchMaxBytes", "1024", 1024],
    ["batchMaxBytes", "8MiB", 8 * 1024 * 1024],
    ["batchMaxBytes", "64 kib", 64 * 1024],
    ["batchMaxBytes", "5GiB", 5 * 1024 ** 3],
    ["compressionLevel", "1", 1],
    ["once", "FALSE", false],
    ["logLevel", "silent", "silent"],
    ["prefix", "logs/", "logs/"],
    ["prefix", "fleet/web/app-", "fleet/web/app-"],
    ["prefix", "a b/..x/", "a b/..x/"],
  ] as const)("%s = %j", async (key, value, expected) => {
    const field = key === "flushInterval" ? "flushIntervalMs" : key;
    for (const source of ["flag", "env", "file"] as const) {
      expect((await loadFrom(source, key, value))[field]).toBe(expected);
    }
  });
});

describe("options that cannot go together", () => {
  async function loadFile(values: Record<string, unknown>): Promise<unknown> {
    return loadConfig(["--config", CONFIG_PATH], {}, { readTextFile: async () => JSON.stringify({ ...BASE, ...values }) }).then(
      (result) => result,
      (error: unknown) => error,
    );
  }

  it("a KMS key with --sse AES256: S3 would refuse every upload", async () => {
    const error = await loadFile({ sse: "AES256", sseKmsKeyId: "alias/logs" });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      "ship-logs: sseKmsKeyId in config file /etc/ship-logs.yaml needs sse in config file /etc/ship-logs.yaml to be aws:kms or unset, not AES256: S3 refuses a KMS key with AES256",
    );
    expect(await loadFile({ sse: "aws:kms", sseKmsKeyId: "alias/logs" })).toMatchObject({ kind: "run" });
    expect(await loadFile({ sseKmsKeyId: "alias/logs" })).toMatchObject({ kind: "run" });
  });

  it("names each option of a combination where it was given: flag, variable or config file key", async () => {
    const error = await loadConfig(
      ["--config", CONFIG_PATH, "--sse-kms-key-id", "alias/logs"],
      { SHIP_LOGS_SSE: "AES256" },
      { readTextFile: async () => JSON.stringify(BASE) },
    ).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe("ship-logs: --sse-kms-key-id needs SHIP_LOGS_SSE to be aws:kms or unset, not AES256: S3 refuses a KMS key with AES256");
    expect((error as ConfigError).subject).toBe("--sse-kms-key-id");
    const fromEnv = await loadConfig([...Object.entries(BASE).flatMap(([key, value]) => [`--${key}`, value])], {
      SHIP_LOGS_SSE: "AES256",
      SHIP_LOGS_SSE_KMS_KEY_ID: "alias/logs",
    }).catch((thrown: unknown) => thrown);
    expect((fromEnv as ConfigError).message).toBe(
      "ship-logs: SHIP_LOGS_SSE_KMS_KEY_ID needs SHIP_LOGS_SSE to be aws:kms or unset, not AES256: S3 refuses a KMS key with AES256",
    );
    expect((fromEnv as ConfigError).subject).toBe("SHIP_LOGS_SSE_KMS_KEY_ID");
    const fromFile = await loadFile({ sse: "AES256", sseKmsKeyId: "alias/logs" });
    expect((fromFile as ConfigError).subject).toBe("sseKmsKeyId");
    // A template too long alone is blamed, not the prefix left to its default.
    const template = await loadConfig(["--watch", "/var/log/a.log", "--bucket", "logs", "--key-template", `{prefix}{instance}/${"t".repeat(1000)}/{file}`], {}).catch(
      (thrown: unknown) => thrown,
    );
    expect((template as ConfigError).subject).toBe("--key-template");
    // Also with a short prefix given: the template alone is too long.
    const withPrefix = await loadConfig(
      ["--watch", "/var/log/a.log", "--bucket", "logs", "--prefix", "logs/", "--key-template", `{prefix}{instance}/${"t".repeat(1000)}/{file}`],
      {},
    ).catch((thrown: unknown) => thrown);
    expect((withPrefix as ConfigError).subject).toBe("--key-template");
  });

  it("a key template with \"/\" after {prefix} and a prefix that is empty or ends in \"/\": an empty segment in every key", async () => {
    const template = "{prefix}/{instance}/{file}";
    for (const prefix of ["", "logs/"]) {
      const error = await loadFile({ keyTemplate: template, prefix });
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe(
        `ship-logs: keyTemplate in config file /etc/ship-logs.yaml "${template}" puts a "/" after {prefix}, and prefix in config file /etc/ship-logs.yaml "${prefix}" ${prefix === "" ? "is empty" : "ends in one"}: every key would hold an empty segment; drop one of the two`,
      );
    }
    for (const prefix of ["..", "logs/.", "."]) {
      const dotted = await loadFile({ keyTemplate: template, prefix });
      expect((dotted as ConfigError).message).toMatch(/ends in a "\." or "\.\." segment: every key would hold that segment; drop one of the two$/);
    }
    expect(await loadFile({ keyTemplate: template, prefix: "logs" })).toMatchObject({ kind: "run" });
    expect(await loadFile({ keyTemplate: template, prefix: "logs.." })).toMatchObject({ kind: "run" });
    expect(await loadFile({ keyTemplate: "{prefix}{instance}/{file}", prefix: "logs/" })).toMatchObject({ kind: "run" });
  });

  it("a prefix or template that makes keys longer than S3's 1024 bytes: every such upload would be refused for good", async () => {
    const error = await loadFile({ prefix: `${"p".repeat(700)}/` });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe("ship-logs: prefix in config file /etc/ship-logs.yaml makes keys of up to 1084 bytes (for a file name of 255), over S3's limit of 1024: shorten it");
    expect(await loadFile({ prefix: `${"p".repeat(600)}/` })).toMatchObject({ kind: "run" });
    const template = await loadFile({ prefix: "logs/", keyTemplate: "{prefix}{hostname}/{instance}/{file}/{file}/{file}" });
    expect((template as ConfigError).message).toMatch(/^ship-logs: prefix in config file \/etc\/ship-logs.yaml with keyTemplate in config file \/etc\/ship-logs.yaml makes keys of up to \d+ bytes/);
  });

  it("--key-layout and --key-template: the stronger source decides; the same source may not give both", async () => {
    const template = "{prefix}{instance}/{file}";
    const withFile = (argv: string[], file: Record<string, unknown>) =>
      loadConfig(["--config", CONFIG_PATH, ...argv], {}, { readTextFile: async () => JSON.stringify({ ...BASE, ...file }) }).catch(
        (thrown: unknown) => thrown,
      );
    // The example config sets keyLayout: a --key-template flag replaces it.
    expect(await withFile(["--key-template", template], { keyLayout: "default" })).toMatchObject({ config: { keyLayout: "default", keyTemplate: template } });
    // A --key-layout flag beats a template in the file.
    const layout = await withFile(["--key-layout", "hive"], { keyTemplate: template });
    expect(layout).toMatchObject({ config: { keyLayout: "hive" } });
    expect((layout as { config: { keyTemplate?: string } }).config.keyTemplate).toBeUndefined();
    const error = await withFile([], { keyLayout: "hive", keyTemplate: template });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe("ship-logs: keyLayout in config file /etc/ship-logs.yaml and keyTemplate in config file /etc/ship-logs.yaml exclude each other: give one");
  });

  it("an uncompressed batch larger than one buffer holds (5 GiB is fine when compressed)", async () => {
    const error = await loadFile({ compression: "none", batchMaxBytes: "5GiB" });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^ship-logs: batchMaxBytes in config file \/etc\/ship-logs.yaml is 5368709120: too large with compression in config file \/etc\/ship-logs.yaml none, which holds a batch whole in one buffer: at most \d+, or compress$/);
    expect(await loadFile({ compression: "gzip", batchMaxBytes: "5GiB" })).toMatchObject({ kind: "run" });
    expect(await loadFile({ compression: "none", batchMaxBytes: "1GiB" })).toMatchObject({ kind: "run" });
  });
});
