import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPTION_KEYS } from "../../src/config/shipLogsOptions.js";
import { envName, flagName } from "../../src/config/optionNames.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { baseArgs, cleanEnv, runCli, startWorld, type World } from "../support/world.js";

/**
 * One piece of a command line, environment or config file. `bad` pieces carry what
 * the error line must name (key, and value where there is one).
 */
interface Bit {
  args?: string[];
  env?: Record<string, string>;
  /** At most one config file per run: `--config` may be given once. */
  file?: { name: string; content: string } | { missing: string };
  mentions?: string[];
}

const KNOWN_FLAGS = new Set(OPTION_KEYS.map((key) => flagName(key)));
const KNOWN_VARIABLES = new Set(OPTION_KEYS.map((key) => envName(key)));

/** Options the base run already gives: a bad bit on them would be a repeat, not a bad value. */
const GOOD: readonly Bit[] = [
  { args: ["--prefix", "hostile/"] },
  { args: ["--flush-interval", "5"] },
  { args: ["--compression", "none"] },
  { args: ["--key-layout=hive"] },
  { env: { SHIP_LOGS_LOG_LEVEL: "warn" } },
  { env: { SHIP_LOGS_COMPRESSION_LEVEL: "3" } },
  { env: { SHIP_LOGS_REGION: "" } }, // empty counts as unset
];

const GOOD_FILES: readonly Bit[] = [
  { file: { name: "good.yaml", content: "keyLayout: hive\nbatchMaxBytes: 1MiB\nregion:\n" } },
  { file: { name: "good.json", content: '{"compressionLevel": 9, "storageClass": "STANDARD"}' } },
];

const BAD_VALUES: ReadonlyArray<[string, string]> = [
  ["--flush-interval", "-1"],
  ["--flush-interval", "abc"],
  ["--flush-interval", "1e309"],
  ["--compression", "zip"],
  ["--compression-level", "10"],
  ["--batch-max-bytes", "8XB"],
  ["--batch-max-bytes", "12"],
  ["--log-level", "loud"],
  ["--credentials", "magic"],
  ["--key-layout", "weird"],
  ["--key-template", "{instance}/{file}"],
  ["--request-timeout", "0"],
  ["--stop-timeout", "-3"],
  ["--metrics-listen", "nohost"],
  ["--metrics-listen", "127.0.0.1:99999"],
  ["--checksum", "always"],
  ["--sse", "AES"],
  ["--storage-class", "cheap"],
  ["--expected-bucket-owner", "abc"],
  ["--region", "--"],
];

const name = fc.stringMatching(/^[a-z][a-z0-9]{2,10}$/);

const badFlag: fc.Arbitrary<Bit> = fc.oneof(
  fc.constantFrom(...BAD_VALUES).chain(([flag, value]) =>
    fc.constantFrom<Bit>({ args: [flag, value], mentions: [flag, value] }, { args: [`${flag}=${value}`], mentions: [flag, value] }),
  ),
  name.filter((n) => !KNOWN_FLAGS.has(`--${n}`) && n !== "help" && n !== "version").map((n) => ({ args: [`--${n}`], mentions: [`--${n}`] })),
);

const badEnv: fc.Arbitrary<Bit> = fc.oneof(
  name
    .map((n) => `SHIP_LOGS_${n.toUpperCase()}`)
    .filter((variable) => !KNOWN_VARIABLES.has(variable))
    .map((variable) => ({ env: { [variable]: "1" }, mentions: [variable] })),
  fc
    .constantFrom<[string, string]>(["SHIP_LOGS_FLUSH_INTERVAL", "soon"], ["SHIP_LOGS_COMPRESSION", "zip"], ["SHIP_LOGS_ONCE", "maybe"])
    .map(([variable, value]) => ({ env: { [variable]: value }, mentions: [variable, value] })),
);

const badFile: fc.Arbitrary<Bit> = fc.oneof(
  name
    .filter((key) => !(OPTION_KEYS as readonly string[]).includes(key))
    .map((key) => ({ file: { name: "unknown.yaml", content: `${key}: 1\n` }, mentions: ["unknown key", key] })),
  fc
    .constantFrom<[string, string]>(["flushInterval", "abc"], ["compression", "zip"], ["logLevel", "loud"], ["batchMaxBytes", "8XB"])
    .map(([key, value]) => ({ file: { name: "bad-value.yaml", content: `${key}: ${value}\n` }, mentions: [key, value] })),
  fc.constant<Bit>({ file: { name: "torn.yaml", content: "watch: [\n" }, mentions: ["torn.yaml", "cannot parse"] }),
  fc.constant<Bit>({ file: { name: "torn.json", content: '{"bucket": ' }, mentions: ["torn.json", "cannot parse"] }),
  fc.constant<Bit>({ file: { name: "list.yaml", content: "- bucket\n" }, mentions: ["list.yaml", "mapping"] }),
  fc.constant<Bit>({ file: { name: "self.yaml", content: "config: /etc/other.yaml\n" }, mentions: ["self.yaml", "config"] }),
  fc.constant<Bit>({ file: { missing: "absent.yaml" }, mentions: ["absent.yaml", "ENOENT"] }),
);

const scenario = fc.record({
  good: fc.subarray([...GOOD]),
  flags: fc.uniqueArray(badFlag, { maxLength: 2, selector: (bit) => bit.args?.[0]?.split("=")[0] }),
  env: fc.uniqueArray(badEnv, { maxLength: 1, selector: (bit) => Object.keys(bit.env ?? {})[0] }),
  file: fc.option(fc.oneof(fc.constantFrom(...GOOD_FILES), badFile), { nil: undefined }),
  // Where the bad flags go relative to the base: order must not matter.
  badFirst: fc.boolean(),
});

/**
 * Issue 7, case 6, at the process level (the loader's own properties are in
 * test/config): a valid base plus random good and bad flags, variables and config
 * files. A run with anything bad exits 2 with exactly one stderr line naming the
 * offending key (and value), never a stack trace and never a start; a run with only
 * good bits ships (--once against the fakes) and exits 0.
 */
describe("hostile world: bad configuration, real CLI (e2e, issue 7)", () => {
  let world: World;
  const outputs: string[] = [];

  beforeAll(async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "app.log"), "hello\n");
  });

  afterAll(async () => {
    await assertNoSecretLeaks(world, outputs);
    await world.close();
  });

  it("exits 2 with one line naming the bad key for anything bad, and ships otherwise", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ good, flags, env, file, badFirst }) => {
        run += 1;
        const configArgs: string[] = [];
        if (file?.file !== undefined) {
          const path = "missing" in file.file ? join(world.dir, `${run}-${file.file.missing}`) : join(world.dir, `${run}-${file.file.name}`);
          if (!("missing" in file.file)) await writeFile(path, file.file.content, { mode: 0o600 });
          configArgs.push("--config", path);
        }
        const bad = [...flags, ...env, ...(file?.mentions ? [file] : [])];
        const badArgs = flags.flatMap((bit) => bit.args ?? []);
        const goodArgs = good.flatMap((bit) => bit.args ?? []);
        const base = ["--once", ...baseArgs(world), ...goodArgs, ...configArgs];
        const args = badFirst ? [...badArgs, ...base] : [...base, ...badArgs];
        const variables = Object.assign({}, ...good.map((bit) => bit.env ?? {}), ...env.map((bit) => bit.env ?? {})) as Record<string, string>;
        const result = await runCli(args, cleanEnv(variables));
        outputs.push(result.stdout, result.stderr);
        const context = `args ${JSON.stringify(args)} env ${JSON.stringify(variables)} file ${JSON.stringify(file)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;

        expect(result.stderr, context).not.toMatch(/internal error|\n\s+at /);
        if (bad.length === 0) {
          expect(result.code, context).toBe(0);
          expect(result.stdout, context).toMatch(/^ship-logs: shipped files=1 /);
          return;
        }
        expect(result.code, context).toBe(2);
        expect(result.stdout, context).toBe("");
        const lines = result.stderr.trimEnd().split("\n");
        expect(lines, context).toHaveLength(1);
        const [line = ""] = lines;
        expect(line, context).toMatch(/^ship-logs: /);
        const named = bad.some((bit) => (bit.mentions ?? []).every((mention) => line.includes(mention)));
        expect(named, `the line names one bad bit completely: ${context}`).toBe(true);
      }),
      {
        numRuns: 30,
        // Besides the random runs: at least one that must start, with every good bit at once.
        examples: [[{ good: [...GOOD], flags: [], env: [], file: GOOD_FILES[0], badFirst: false }]],
      },
    );
  }, 120_000);
});
