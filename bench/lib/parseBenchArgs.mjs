// @ts-check
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BenchUsageError } from "./BenchUsageError.mjs";
import { parseSize } from "./parseSize.mjs";

export const USAGE = `usage: npm run bench -- <once|latency|memory> [options]

  once      ship-logs --once over a generated backlog, beside the Node zlib limit
            (1 and 2 cores) and aws s3 cp of the same files, uncapped and capped
  latency   the daemon follows a file appended at a steady rate: append→visible
            percentiles, steady RSS, idle CPU
  memory    peak RSS of ship-logs --once for growing backlogs

common:
  --product DIR            checkout with the built product (default: this repo; run npm run build)
  --node-flags STR         node flags for the product only, e.g. "--max-semi-space-size=1 --trace-gc"
  --tmp DIR                scratch space (default: $TMPDIR/ship-logs-bench); removed afterwards
  --keep                   keep the scratch space (backlogs, state, profiles)
  --json FILE              also write every figure as JSON
  --seed N                 backlog seed (default 1)
  --files N                files in a backlog (default 8)
  --batch-max-bytes N      ship-logs --batch-max-bytes (default 8388608)
  --compression-level N    gzip level for ship-logs and the zlib limit (default 6)
  --no-verify              skip checking every line in the sink
  --runs N                 once: rounds of every contender, the fastest reported (default 1)
  --quiet-wait S           before each measurement, wait up to S s for other processes to
                           leave the CPU alone (default 30; 0: do not wait)
once:
  --size SIZE              backlog size, e.g. 256MiB, 1GiB (default 1GiB; a bare number is MiB)
  --cap MIBPS              sink ingest cap for the second pair of runs (default 100; 0: skip them)
  --no-aws                 skip aws s3 cp
  --aws PATH               aws CLI to compare with (default /usr/bin/aws, else aws on PATH)
  --cpu-prof               profile one more uncapped ship-logs run (node --cpu-prof) and summarise it
latency:
  --rate N                 lines per second (default 1000)
  --duration S             seconds of appending (default 60)
  --flush-interval S       ship-logs --flush-interval (default 2)
  --idle S                 seconds of idle CPU measurement after the last line (default 10)
memory:
  --sizes LIST             backlog sizes (default 256MiB,1GiB,4GiB)
`;

/** @param {string | undefined} text @param {string} option @param {number} fallback @param {number} [min] */
function number(text, option, fallback, min = 1) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new BenchUsageError(`${option}: expected a number ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}

/**
 * @typedef {object} BenchArgs
 * @property {"once" | "latency" | "memory" | "help"} mode
 * @property {string} productDir
 * @property {string[]} nodeFlags
 * @property {string} tmpRoot
 * @property {boolean} keep
 * @property {string | undefined} json
 * @property {number} seed
 * @property {number} files
 * @property {number} batchMaxBytes
 * @property {number} compressionLevel
 * @property {boolean} verify
 * @property {number} runs
 * @property {number} quietWaitS
 * @property {number} sizeBytes
 * @property {number} capMiBps
 * @property {boolean} aws
 * @property {string | undefined} awsPath
 * @property {boolean} cpuProf
 * @property {number} rate
 * @property {number} durationS
 * @property {number} flushIntervalS
 * @property {number} idleS
 * @property {number[]} sizesBytes
 */

/**
 * @param {readonly string[]} argv
 * @returns {BenchArgs}
 */
export function parseBenchArgs(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        product: { type: "string" },
        "node-flags": { type: "string" },
        tmp: { type: "string" },
        keep: { type: "boolean" },
        json: { type: "string" },
        seed: { type: "string" },
        files: { type: "string" },
        "batch-max-bytes": { type: "string" },
        "compression-level": { type: "string" },
        "no-verify": { type: "boolean" },
        runs: { type: "string" },
        "quiet-wait": { type: "string" },
        size: { type: "string" },
        cap: { type: "string" },
        "no-aws": { type: "boolean" },
        aws: { type: "string" },
        "cpu-prof": { type: "boolean" },
        rate: { type: "string" },
        duration: { type: "string" },
        "flush-interval": { type: "string" },
        idle: { type: "string" },
        sizes: { type: "string" },
      },
    });
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const mode = values.help ? "help" : positionals[0];
  if (mode !== "once" && mode !== "latency" && mode !== "memory" && mode !== "help") {
    throw new BenchUsageError(mode === undefined ? "which mode? once, latency or memory" : `unknown mode ${JSON.stringify(mode)}`);
  }
  if (positionals.length > 1) throw new BenchUsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const level = number(values["compression-level"], "--compression-level", 6);
  if (level > 9 || !Number.isInteger(level)) throw new BenchUsageError("--compression-level: expected 1-9");
  return {
    mode,
    productDir: resolve(values.product ?? fileURLToPath(new URL("../..", import.meta.url))),
    nodeFlags: (values["node-flags"] ?? "").split(/\s+/).filter((flag) => flag !== ""),
    tmpRoot: resolve(values.tmp ?? join(tmpdir(), "ship-logs-bench")),
    keep: values.keep ?? false,
    json: values.json,
    seed: number(values.seed, "--seed", 1, 0),
    files: number(values.files, "--files", 8),
    batchMaxBytes: number(values["batch-max-bytes"], "--batch-max-bytes", 8388608, 1024),
    compressionLevel: level,
    verify: !(values["no-verify"] ?? false),
    runs: number(values.runs, "--runs", 1),
    quietWaitS: number(values["quiet-wait"], "--quiet-wait", 30, 0),
    sizeBytes: parseSize(values.size ?? "1GiB", "--size"),
    capMiBps: number(values.cap, "--cap", 100, 0),
    aws: !(values["no-aws"] ?? false),
    awsPath: values.aws,
    cpuProf: values["cpu-prof"] ?? false,
    rate: number(values.rate, "--rate", 1000),
    durationS: number(values.duration, "--duration", 60),
    flushIntervalS: number(values["flush-interval"], "--flush-interval", 2),
    idleS: number(values.idle, "--idle", 10),
    sizesBytes: (values.sizes ?? "256MiB,1GiB,4GiB").split(",").map((size) => parseSize(size, "--sizes")),
  };
}
