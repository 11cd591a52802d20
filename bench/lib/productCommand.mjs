// @ts-check
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * @typedef {object} ShipLogsRun
 * @property {string} watch glob
 * @property {string} bucket
 * @property {string} endpoint
 * @property {string} imdsEndpoint
 * @property {string} stateDir
 * @property {number} batchMaxBytes
 * @property {number} compressionLevel
 * @property {boolean} once
 * @property {number} [flushIntervalS] daemon only
 * @property {string} [cpuProfDir] write a `node --cpu-prof` profile there at exit
 * @property {readonly string[]} [nodeFlags] more node flags (runtime settings to try, --trace-gc, …)
 */

/**
 * The `ship-logs` executable of a checkout, as its package.json names it
 * (dist/cli/bin.cjs; dist/cli/shipLogs.js in builds before it), so that
 * `--product` can measure an older build.
 * @param {string} productDir
 * @returns {string}
 */
export function productCli(productDir) {
  const manifest = /** @type {{ bin: Record<string, string> }} */ (JSON.parse(readFileSync(join(productDir, "package.json"), "utf8")));
  return join(productDir, /** @type {string} */ (manifest.bin["ship-logs"]));
}

/**
 * `node [--cpu-prof …] <the ship-logs executable> …`: the real CLI, as an operator runs it.
 * @param {string} productDir checkout with a built dist/
 * @param {ShipLogsRun} run
 * @returns {string[]} arguments for process.execPath
 */
export function shipLogsArgs(productDir, run) {
  const profile = run.cpuProfDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", run.cpuProfDir];
  return [
    ...(run.nodeFlags ?? []),
    ...profile,
    productCli(productDir),
    ...(run.once ? ["--once"] : []),
    "--watch",
    run.watch,
    "--bucket",
    run.bucket,
    "--endpoint",
    run.endpoint,
    "--imds-endpoint",
    run.imdsEndpoint,
    "--state-dir",
    run.stateDir,
    "--batch-max-bytes",
    String(run.batchMaxBytes),
    "--compression-level",
    String(run.compressionLevel),
    ...(run.flushIntervalS === undefined ? [] : ["--flush-interval", String(run.flushIntervalS)]),
    "--log-level",
    "warn",
  ];
}

/**
 * The bench's environment minus anything that would steer the product or the
 * SDK elsewhere (profiles, keys, SHIP_LOGS_* settings): credentials come from the fake IMDS only.
 * @returns {NodeJS.ProcessEnv}
 */
export function productEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_") && !name.startsWith("SHIP_LOGS_")));
}
