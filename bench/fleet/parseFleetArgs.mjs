// @ts-check
import { parseArgs } from "node:util";
import { FleetUsageError } from "./FleetUsageError.mjs";

export const USAGE = `usage: node bench/fleetSim.mjs --hosts N --seconds S [options]   (npm run fleet-sim -- …)

N real ship-logs daemons, each with its own fake IMDS (its own instance id and
credentials), ship to ONE fake S3 endpoint while their logs grow and rotate
(rename); then SIGTERM. Checks every line arrived exactly once, that no key was
written twice or by two instances, and that keys spread over N instance
prefixes; reports PUT request rates per prefix and in total against S3's
3 500 PUT/s per prefix. Needs a built product (npm run build).

  --hosts N             daemons (default 3)
  --seconds S           seconds of writing before SIGTERM (default 10)
  --files N             logs per host (default 2)
  --rate N              lines per second per log (default 100)
  --flush-interval S    ship-logs --flush-interval (default 1: many PUTs, to load S3)
  --rotate-every S      each log is renamed and recreated this often (default 3)
  --seed N              line content seed (default 1)
  --json FILE           also write the result as JSON
  --keep                keep the scratch directory
`;

/**
 * @typedef {object} FleetArgs
 * @property {boolean} help
 * @property {number} hosts
 * @property {number} seconds
 * @property {number} files
 * @property {number} rate
 * @property {number} flushIntervalS
 * @property {number} rotateEveryS
 * @property {number} seed
 * @property {string | undefined} json
 * @property {boolean} keep
 */

/**
 * @param {string} flag
 * @param {string | undefined} text
 * @param {number} fallback
 * @param {{ min: number, max: number, integer?: boolean }} limits
 */
function numberOption(flag, text, fallback, { min, max, integer = false }) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new FleetUsageError(`${flag}: expected ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** @param {readonly string[]} argv */
function readValues(argv) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      options: {
        help: { type: "boolean" },
        hosts: { type: "string" },
        seconds: { type: "string" },
        files: { type: "string" },
        rate: { type: "string" },
        "flush-interval": { type: "string" },
        "rotate-every": { type: "string" },
        seed: { type: "string" },
        json: { type: "string" },
        keep: { type: "boolean" },
      },
    }).values;
  } catch (error) {
    throw new FleetUsageError(error instanceof Error ? error.message : String(error));
  }
}

/** @param {readonly string[]} argv @returns {FleetArgs} */
export function parseFleetArgs(argv) {
  const values = readValues(argv);
  return {
    help: values.help === true,
    hosts: numberOption("--hosts", values.hosts, 3, { min: 1, max: 500, integer: true }),
    seconds: numberOption("--seconds", values.seconds, 10, { min: 3, max: 3600 }),
    files: numberOption("--files", values.files, 2, { min: 1, max: 50, integer: true }),
    rate: numberOption("--rate", values.rate, 100, { min: 1, max: 100_000 }),
    flushIntervalS: numberOption("--flush-interval", values["flush-interval"], 1, { min: 0.1, max: 3600 }),
    rotateEveryS: numberOption("--rotate-every", values["rotate-every"], 3, { min: 0.5, max: 3600 }),
    seed: numberOption("--seed", values.seed, 1, { min: 0, max: 2 ** 32 - 1, integer: true }),
    json: values.json,
    keep: values.keep === true,
  };
}
