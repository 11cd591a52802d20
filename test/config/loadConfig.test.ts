import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, type ShipLogsConfig } from "../../src/config/index.js";

const REQUIRED = ["--watch", "/var/log/app.log", "--bucket", "logs"];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ship-logs-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, text: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function load(argv: readonly string[], env: Record<string, string> = {}): Promise<ShipLogsConfig> {
  const result = await loadConfig(argv, env);
  if (result.kind !== "run") throw new Error(`expected a run result, got ${result.kind}`);
  return result.config;
}

async function loadError(argv: readonly string[], env: Record<string, string> = {}): Promise<ConfigError> {
  const error: unknown = await loadConfig(argv, env).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe("loadConfig precedence: flag > environment > config file > default", () => {
  it("takes each option from the highest source that gives it", async () => {
    const file = await configFile(
      "precedence.yaml",
      ["watch: /from/file.log", "bucket: file-bucket", "prefix: file/", "flushInterval: 5", "compression: none"].join("\n"),
    );
    const config = await load(["--config", file, "--prefix", "flag/", ...["--watch", "/from/flag.log"]], {
      SHIP_LOGS_PREFIX: "env/",
      SHIP_LOGS_FLUSH_INTERVAL: "7",
      SHIP_LOGS_BUCKET: "env-bucket",
    });
    expect(config).toMatchObject({
      watch: ["/from/flag.log"], // flag over file
      prefix: "flag/", // flag over environment and file
      bucket: "env-bucket", // environment over file
      flushIntervalMs: 7000, // environment over file
      compression: "none", // file over default
      compressionLevel: 6, // default
      configFile: file,
    });
  });

  it.each([
    ["flag", ["--flush-interval", "0.5"], {}, 500],
    ["environment", [], { SHIP_LOGS_FLUSH_INTERVAL: "2.5" }, 2500],
    ["default", [], {}, 60_000],
  ] as const)("reads a value from the %s", async (_source, argv, env, expected) => {
    expect((await load([...REQUIRED, ...argv], env)).flushIntervalMs).toBe(expected);
  });

  it("takes --watch from one source entirely, never merging lists", async () => {
    const file = await configFile("watch.json", JSON.stringify({ watch: ["/f1", "/f2"], bucket: "logs" }));
    expect((await load(["--config", file])).watch).toEqual(["/f1", "/f2"]);
    expect((await load(["--config", file], { SHIP_LOGS_WATCH: "/e1,/e2" })).watch).toEqual(["/e1", "/e2"]);
    expect((await load(["--config", file, "--watch", "/a", "--watch", "/b"], { SHIP_LOGS_WATCH: "/e1" })).watch).toEqual([
      "/a",
      "/b",
    ]);
  });

  it("reads SHIP_LOGS_WATCH as a comma- or newline-separated list that keeps brace globs whole", async () => {
    const config = await load(["--bucket", "logs"], { SHIP_LOGS_WATCH: "/var/log/{syslog,auth.log}, /srv/*.log\n/opt/x.log" });
    expect(config.watch).toEqual(["/var/log/{syslog,auth.log}", "/srv/*.log", "/opt/x.log"]);
  });

  it("treats an empty variable as unset", async () => {
    const config = await load(REQUIRED, { SHIP_LOGS_REGION: "", SHIP_LOGS_BUCKET: "", AWS_REGION: "" });
    expect(config.region).toBeUndefined();
    expect(config.bucket).toBe("logs");
  });

  it("reads SHIP_LOGS_CONFIG as the environment form of --config, and --config over it", async () => {
    const fromEnv = await configFile("env.yaml", "watch: /e\nbucket: env-file\n");
    const fromFlag = await configFile("flag.yaml", "watch: /f\nbucket: flag-file\n");
    expect((await load([], { SHIP_LOGS_CONFIG: fromEnv })).bucket).toBe("env-file");
    expect(await load(["--config", fromFlag], { SHIP_LOGS_CONFIG: fromEnv })).toMatchObject({
      bucket: "flag-file",
      configFile: fromFlag,
    });
  });

  it("lets --once=false override SHIP_LOGS_ONCE=true, and reads true/false/1/0", async () => {
    expect((await load(REQUIRED, { SHIP_LOGS_ONCE: "true" })).once).toBe(true);
    expect((await load(REQUIRED, { SHIP_LOGS_ONCE: "1" })).once).toBe(true);
    expect((await load(REQUIRED, { SHIP_LOGS_ONCE: "0" })).once).toBe(false);
    expect((await load([...REQUIRED, "--once=false"], { SHIP_LOGS_ONCE: "true" })).once).toBe(false);
    expect((await load([...REQUIRED, "--once"])).once).toBe(true);
  });
});

describe("loadConfig defaults from foreign variables", () => {
  it("uses STATE_DIRECTORY, and its first path when systemd lists several", async () => {
    expect((await load(REQUIRED)).stateDir).toBe("/var/lib/ship-logs");
    expect((await load(REQUIRED, { STATE_DIRECTORY: "/var/lib/ship-logs-a" })).stateDir).toBe("/var/lib/ship-logs-a");
    expect((await load(REQUIRED, { STATE_DIRECTORY: "/var/lib/one:/var/lib/two" })).stateDir).toBe("/var/lib/one");
    expect((await load(REQUIRED, { STATE_DIRECTORY: ":" })).stateDir).toBe("/var/lib/ship-logs");
    expect((await load([...REQUIRED, "--state-dir", "/tmp/s"], { STATE_DIRECTORY: "/var/lib/one" })).stateDir).toBe("/tmp/s");
  });

  it("uses AWS_REGION, else leaves the region to IMDS", async () => {
    expect((await load(REQUIRED)).region).toBeUndefined();
    expect((await load(REQUIRED, { AWS_REGION: "eu-west-1" })).region).toBe("eu-west-1");
    expect((await load([...REQUIRED, "--region", "us-east-2"], { AWS_REGION: "eu-west-1" })).region).toBe("us-east-2");
  });

  it("uses AWS_EC2_METADATA_SERVICE_ENDPOINT, normalised to its origin", async () => {
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://127.0.0.1:1338/" };
    expect((await load(REQUIRED, env)).imdsEndpoint).toBe("http://127.0.0.1:1338");
    expect((await load([...REQUIRED, "--imds-endpoint", "http://[::1]:9"], env)).imdsEndpoint).toBe("http://[::1]:9");
  });

  it("names the foreign variable when its value is invalid, and ignores it when overridden", async () => {
    const env = { AWS_REGION: "eu west 1", AWS_EC2_METADATA_SERVICE_ENDPOINT: "https://x" };
    expect((await loadError(REQUIRED, env)).message).toBe(
      'ship-logs: AWS_REGION (the default of --region): expected a region name such as us-east-1 (letters, digits and hyphens), got "eu west 1"',
    );
    const overridden = await load([...REQUIRED, "--region", "eu-west-1", "--imds-endpoint", "http://127.0.0.1:1"], env);
    expect(overridden.region).toBe("eu-west-1");
  });
});

describe("loadConfig config files", () => {
  const body = {
    watch: ["/var/log/a.log", "/var/log/b/*.log"],
    bucket: "logs",
    flushInterval: 0.5,
    batchMaxBytes: "1MiB",
    once: true,
    compressionLevel: 9,
    endpoint: "http://127.0.0.1:9000",
  };
  const expected = {
    watch: body.watch,
    bucket: "logs",
    flushIntervalMs: 500,
    batchMaxBytes: 1_048_576,
    once: true,
    compressionLevel: 9,
    endpoint: "http://127.0.0.1:9000",
  };

  it("reads JSON", async () => {
    expect(await load(["--config", await configFile("c.json", JSON.stringify(body))])).toMatchObject(expected);
  });

  it.each(["c.yaml", "c.yml", "ship-logs.conf"])("reads YAML from %s", async (name) => {
    const yaml = [
      "# ship-logs",
      "watch:",
      "  - /var/log/a.log",
      "  - /var/log/b/*.log",
      "bucket: logs",
      "flushInterval: 0.5",
      "batchMaxBytes: 1MiB",
      "once: true",
      "compressionLevel: 9",
      "endpoint: http://127.0.0.1:9000",
      "region:   # left empty: unset",
    ].join("\n");
    expect(await load(["--config", await configFile(name, yaml)])).toMatchObject({ ...expected, region: undefined });
  });

  it("reads JSON text from a file that is not named .json, as YAML", async () => {
    expect(await load(["--config", await configFile("c.conf", JSON.stringify(body))])).toMatchObject(expected);
  });

  it("accepts a single glob as a string, and an empty file as no settings", async () => {
    expect((await load(["--bucket", "bk1", "--config", await configFile("one.yaml", "watch: /x.log")])).watch).toEqual(["/x.log"]);
    expect((await load([...REQUIRED, "--config", await configFile("empty.yaml", "")])).bucket).toBe("logs");
  });

  it("coerces numbers and booleans the same whether written as YAML scalars or strings", async () => {
    const quoted = await configFile("quoted.yaml", 'watch: /x\nbucket: logs\nflushInterval: "1.5"\nonce: "1"\nstopTimeout: 2');
    expect(await load(["--config", quoted])).toMatchObject({ flushIntervalMs: 1500, once: true, stopTimeoutMs: 2000 });
  });

  it.each([
    ["missing.yaml", null, /^ship-logs: config file .*missing\.yaml: cannot read: ENOENT: no such file or directory/],
    ["bad.yaml", "watch: [a\nbucket: b", /^ship-logs: config file .*bad\.yaml: cannot parse: .+/],
    ["bad.json", "{ bucket: 'x' }", /^ship-logs: config file .*bad\.json: cannot parse: .+/],
    ["dup.yaml", "bucket: a\nbucket: b", /^ship-logs: config file .*dup\.yaml: cannot parse: Map keys must be unique/],
    ["dup.json", '{"bucket": "a", "bucket": "b"}', /^ship-logs: config file .*dup\.json: cannot parse: Map keys must be unique/],
    ["multi.yaml", "bucket: a\n---\nbucket: b", /^ship-logs: config file .*multi\.yaml: cannot parse: it holds several YAML documents \(separated by ---\); keep one$/],
    ["tag.yaml", "bucket: !secret a", /^ship-logs: config file .*tag\.yaml: cannot parse: Unresolved tag: !secret/],
    ["list.yaml", "- a\n- b", /^ship-logs: config file .*list\.yaml: expected a mapping of option keys to values, got a list$/],
    ["scalar.json", "42", /^ship-logs: config file .*scalar\.json: expected a mapping of option keys to values, got a number$/],
  ])("refuses %s in one line naming the file", async (name, text, message) => {
    const path = text === null ? join(dir, name) : await configFile(name, text);
    const error = await loadError(["--config", path]);
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/\n/);
    expect(error.subject).toBe(path);
  });

  it("a JSON file that does not parse: the reason says where, never quotes the text (it may hold a URL's password)", async () => {
    // Short enough that V8 quotes all of it, as it quotes the 10 characters around a longer file's error.
    const path = await configFile("pw.json", '{"e": ship:pa55word@s3}');
    const error = await loadError(["--config", path]);
    expect(error.message).toMatch(/^ship-logs: config file .*pw\.json: cannot parse: Unexpected token .* is not valid JSON$/);
    expect(error.message).not.toContain("ship:pa");
  });

  it("refuses a file that is not UTF-8, whose bytes would otherwise become U+FFFD in a prefix or a glob", async () => {
    const path = await configFile("latin1.yaml", Buffer.from("watch: /x.log\nbucket: logs\nprefix: caf\xe9/\n", "latin1"));
    expect((await loadError(["--config", path])).message).toMatch(/latin1\.yaml: cannot read: it is not UTF-8 text; save it as UTF-8$/);
    expect((await load(["--config", await configFile("utf8.yaml", "watch: /x.log\nbucket: logs\nprefix: café/\n")])).prefix).toBe("café/");
  });

  it("refuses a directory", async () => {
    expect((await loadError(["--config", dir])).message).toMatch(/: cannot read: EISDIR/);
  });

  it("reads no more than 1 MiB (--config /dev/zero would never end), and takes any readable file, a pipe included", async () => {
    expect((await loadError(["--config", "/dev/zero"])).message).toBe(
      "ship-logs: config file /dev/zero: cannot read: more than a config file holds (at most 1048576 bytes)",
    );
    const big = await configFile("big.yaml", `# ${"x".repeat(1024 * 1024)}\nbucket: logs\n`);
    expect((await loadError(["--config", big])).message).toMatch(/big\.yaml: cannot read: more than a config file holds \(at most 1048576 bytes\)$/);
    const fifo = join(dir, "piped.yaml");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `printf 'watch: /x.log\\nbucket: piped\\n' > '${fifo}'`]);
    try {
      expect((await load(["--config", fifo])).bucket).toBe("piped");
    } finally {
      writer.kill();
    }
  });

  it("refuses a YAML alias bomb without hanging", async () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++) lines.push(`${"abcdefghijklmnop"[i]}: &${"abcdefghijklmnop"[i]} [${Array(10).fill(`*${"abcdefghijklmnop"[i - 1]}`).join(", ")}]`);
    const error = await loadError(["--config", await configFile("bomb.yaml", lines.join("\n"))]);
    expect(error.message).toMatch(/bomb\.yaml: cannot parse: /);
  });

  it("refuses unknown keys, suggesting the camelCase spelling", async () => {
    const path = await configFile("typo.yaml", "watch: /x\nbucktet: logs\n");
    expect((await loadError(["--config", path])).message).toBe(`ship-logs: config file ${path}: unknown key "bucktet"`);
    const kebab = await configFile("kebab.yaml", "watch: /x\nbucket: logs\nflush-interval: 5\n");
    expect((await loadError(["--config", kebab])).message).toBe(
      `ship-logs: config file ${kebab}: unknown key "flush-interval" (did you mean "flushInterval"?)`,
    );
    const nested = await configFile("nested.yaml", "watch: /x\nbucket: logs\nconfig: other.yaml\n");
    expect((await loadError(["--config", nested])).message).toBe(
      `ship-logs: config file ${nested}: unknown key "config" (--config cannot be set in the config file)`,
    );
  });

  it("refuses an unknown key even when its value is null", async () => {
    const path = await configFile("nullkey.yaml", "watch: /x\nbucket: logs\nbucktet:\n");
    expect((await loadError(["--config", path])).subject).toBe("bucktet");
    const nested = await configFile("nullconfig.yaml", "watch: /x\nbucket: logs\nconfig:\n");
    expect((await loadError(["--config", nested])).subject).toBe("config");
  });

  it("reports a file error even when a flag overrides the bad value", async () => {
    const path = await configFile("override.yaml", "flushInterval: soon\n");
    expect((await loadError([...REQUIRED, "--config", path, "--flush-interval", "5"])).message).toBe(
      `ship-logs: config file ${path}: flushInterval: expected a positive number of seconds (at most 86400), got "soon"`,
    );
  });

  it("names the list item that is invalid", async () => {
    const path = await configFile("items.json", JSON.stringify({ bucket: "logs", watch: ["/a", 7] }));
    expect((await loadError(["--config", path])).message).toBe(`ship-logs: config file ${path}: watch[1]: expected quoted text, got 7`);
  });

  it("reports an unknown key before any bad value, and bad values in table order rather than file order", async () => {
    const typo = await configFile("typo-last.json", JSON.stringify({ compression: "zip", bucket: "ab", bucktet: "logs", watch: "/x" }));
    expect((await loadError(["--config", typo])).message).toBe(`ship-logs: config file ${typo}: unknown key "bucktet"`);
    const twoBad = await configFile("two-bad.json", JSON.stringify({ compression: "zip", bucket: "ab", watch: "/x" }));
    expect((await loadError(["--config", twoBad])).message).toBe(
      `ship-logs: config file ${twoBad}: bucket: expected an S3 bucket name of at least 3 characters, got "ab"`,
    );
  });

  it("reads through an injected reader", async () => {
    const files: Record<string, string> = { "/etc/ship-logs.yaml": "watch: /x\nbucket: injected\n" };
    const result = await loadConfig(["--config", "/etc/ship-logs.yaml"], {}, {
      readTextFile: async (path) => files[path] ?? Promise.reject(new Error(`ENOENT: ${path}`)),
    });
    expect(result).toMatchObject({ kind: "run", config: { bucket: "injected" } });
  });
});

describe("loadConfig results", () => {
  it("returns help and version without reading the environment or a config file", async () => {
    const broken = { SHIP_LOGS_BUCKTET: "x" };
    expect(await loadConfig(["--help", "--config", "/nonexistent"], broken)).toEqual({ kind: "help" });
    expect(await loadConfig(["--version"], broken)).toEqual({ kind: "version" });
  });

  it("returns the command", async () => {
    expect(await loadConfig(["status", ...REQUIRED], {})).toMatchObject({ kind: "run", command: "status" });
  });

  it.each([
    [[], "ship-logs: missing required option --watch (or SHIP_LOGS_WATCH, or \"watch\" in the config file)", "--watch"],
    [["--watch", "/x"], 'ship-logs: missing required option --bucket (or SHIP_LOGS_BUCKET, or "bucket" in the config file)', "--bucket"],
  ])("names a missing required option and all its sources: %j", async (argv, message, subject) => {
    const error = await loadError(argv);
    expect(error.message).toBe(message);
    expect(error.subject).toBe(subject);
  });

  it("refuses an unknown SHIP_LOGS_ variable, naming it but not its value, which may be a secret", async () => {
    const error = await loadError(REQUIRED, { SHIP_LOGS_BUCKTET: "logs" });
    expect(error.message).toBe('ship-logs: unknown environment variable "SHIP_LOGS_BUCKTET" (see --help)');
    expect(error.subject).toBe("SHIP_LOGS_BUCKTET");
    const secret = await loadError(REQUIRED, { SHIP_LOGS_AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
    expect(secret.message).not.toContain("wJalrXUtnFEMI");
  });

  it.each([
    "https://AKIAEXAMPLE:wJalrXUtnFEMIsecret@minio.local:9000",
    "https://AKIAEXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY@minio.local:9000",
    "https://user:p@ssw0rdSECRET@minio.local:9000",
    "https://AKIAEXAMPLE:SECRET KEY@minio.local:9000",
  ])("never repeats the user and password of a URL it refuses: %s", async (endpoint) => {
    const error = await loadError([...REQUIRED, "--endpoint", endpoint]);
    expect(error.message).toBe(
      'ship-logs: --endpoint: expected an http:// or https:// URL without user, query or fragment, got "https://<user and password hidden>@minio.local:9000"',
    );
  });

  it.each(["https:/AKIAEXAMPLE:SECRETKEY@minio.local:9000", "https:AKIAEXAMPLE:SECRETKEY@minio.local:9000", "https:\\\\AKIAEXAMPLE:SECRETKEY@minio.local:9000"])(
    "hides the user and password of forms Node's URL parser reads as the same URL: %s",
    async (endpoint) => {
      const error = await loadError([...REQUIRED, "--endpoint", endpoint]);
      expect(error.message).not.toContain("SECRETKEY");
      expect(error.message).toMatch(/got "https:[/\\]*<user and password hidden>@minio\.local:9000"$/);
    },
  );

  it("hides them too in a list from the config file, in a flag given twice, and leaves other values with a colon and an @ alone", async () => {
    const secret = "https://AKIAEXAMPLE:SECRETKEY@minio.local:9000";
    const listed = await loadError(["--config", await configFile("listed.yaml", `watch: /x.log\nbucket: logs\nendpoint:\n  - ${secret}\n`)]);
    expect(listed.message).not.toContain("SECRETKEY");
    const twice = await loadError([...REQUIRED, "--endpoint", secret, "--endpoint", "https://minio.local:9000"]);
    expect(twice.message).not.toContain("SECRETKEY");
    const template = await loadError([...REQUIRED, "--key-template", "{prefix}team:{owner}@{instance}/{file}"]);
    expect(template.message).toContain('got "{prefix}team:{owner}@{instance}/{file}"');
  });

  it("hides them in a YAML mapping's key (the URL indented under endpoint:) and without a scheme (//user:password@host)", async () => {
    const mapped = await loadError(["--config", await configFile("mapped.yaml", "watch: /x.log\nbucket: logs\nendpoint:\n  https://AKIAEXAMPLE:SECRETKEY@minio.local: 9000\n")]);
    expect(mapped.message).not.toContain("SECRETKEY");
    expect(mapped.message).toContain("https://<user and password hidden>@minio.local");
    const bare = await loadError([...REQUIRED, "--endpoint", "//AKIAEXAMPLE:SECRETKEY@minio.local:9000"]);
    expect(bare.message).not.toContain("SECRETKEY");
    expect(bare.message).toMatch(/got "\/\/<user and password hidden>@minio\.local:9000"$/);
  });

  it("never repeats the query of a URL it refuses: a pasted presigned URL carries a session token there", async () => {
    const error = await loadError([...REQUIRED, "--endpoint", "https://s3.eu-west-1.amazonaws.com/?X-Amz-Security-Token=IQoJb3JpZ2luSECRET#top"]);
    expect(error.message).not.toContain("SECRET");
    expect(error.message).toMatch(/got "https:\/\/s3\.eu-west-1\.amazonaws\.com\/\?<query hidden>#top"$/);
    const glob = await loadError([...REQUIRED, "--batch-max-bytes", "app?.log"]);
    expect(glob.message).toContain('got "app?.log"');
  });

  it("an empty flag puts an option whose default is none back to it, over the environment and a shared config file", async () => {
    const fleet = await configFile(
      "fleet.yaml",
      "watch: /x.log\nbucket: logs\nmetricsListen: 0.0.0.0:9464\nsse: aws:kms\nsseKmsKeyId: alias/logs\nregion: eu-west-1\nendpoint: https://minio.local\n",
    );
    const host = await load(["--config", fleet, "--metrics-listen=", "--sse", "", "--sse-kms-key-id", "", "--region=", "--endpoint="], {
      SHIP_LOGS_METRICS_LISTEN: "127.0.0.1:9464",
      AWS_REGION: "us-east-2",
    });
    expect(host).toMatchObject({ metricsListen: undefined, sse: undefined, sseKmsKeyId: undefined, endpoint: undefined, region: "us-east-2" });
    // --sse AES256 alone would conflict with the file's KMS key; with the key cleared it does not.
    expect((await load(["--config", fleet, "--sse", "AES256", "--sse-kms-key-id="])).sse).toBe("AES256");
    // --config "" drops a SHIP_LOGS_CONFIG file for one run.
    expect((await load([...REQUIRED, "--config="], { SHIP_LOGS_CONFIG: fleet })).metricsListen).toBeUndefined();
    // A shared template cleared, where the same source also gives a layout: the layout.
    expect((await load([...REQUIRED, "--key-template="], { SHIP_LOGS_KEY_LAYOUT: "hive", SHIP_LOGS_KEY_TEMPLATE: "{prefix}{instance}/{file}" })).keyTemplate).toBeUndefined();
    // Options with a default take "" as a value, or refuse it.
    expect((await load([...REQUIRED, "--prefix", ""])).prefix).toBe("");
    expect((await loadError([...REQUIRED, "--compression="])).message).toMatch(/--compression: expected one of gzip, none/);
  });

  it("ignores variables without the SHIP_LOGS_ prefix", async () => {
    expect((await load(REQUIRED, { SHIP_LOGS: "x", ship_logs_bucket: "y", PATH: "/bin" })).bucket).toBe("logs");
  });
});

describe("the status command", () => {
  it("needs no --watch or --bucket: it only reads the state dir", async () => {
    const result = await loadConfig(["status", "--state-dir", "/tmp/x"], {});
    expect(result.kind === "run" && result.command).toBe("status");
    expect(result.kind === "run" && result.config.stateDir).toBe("/tmp/x");
  });

  it("passes over the variables of other programs that only shipping reads, but still takes $STATE_DIRECTORY", async () => {
    const env = { AWS_REGION: "us_east_1", AWS_EC2_METADATA_SERVICE_ENDPOINT: "https://169.254.169.254", STATE_DIRECTORY: "/run/state/ship-logs" };
    const result = await loadConfig(["status"], env);
    expect(result.kind === "run" && result.config.stateDir).toBe("/run/state/ship-logs");
    await expect(loadConfig(["--once", ...REQUIRED], env)).rejects.toThrow(/AWS_REGION \(the default of --region\)/);
  });
});
