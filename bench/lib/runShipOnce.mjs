// @ts-check
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { productEnv, shipLogsArgs } from "./productCommand.mjs";
import { runMeasured } from "./runMeasured.mjs";
import { summarizeCpuProfile } from "./summarizeCpuProfile.mjs";
import { verifyShipped } from "./verifyShipped.mjs";

/** @typedef {import("./BenchEnvironment.mjs").BenchEnvironment} BenchEnvironment */
/** @typedef {import("./generateBacklog.mjs").Backlog} Backlog */

/**
 * @typedef {object} ShipOnceResult
 * @property {string} label
 * @property {number} capMiBps 0 when uncapped
 * @property {import("./runMeasured.mjs").Measured} measured
 * @property {import("./verifyShipped.mjs").Verification | undefined} verification undefined when skipped
 * @property {number} bytesIn
 * @property {number} bytesStored
 * @property {number} objects
 * @property {string} summary the CLI's own summary line
 * @property {{ firstS: number, lastS: number }} arrivals seconds from spawn to the first and the last object
 * @property {import("./summarizeCpuProfile.mjs").ProfileSummary | undefined} profile
 */

/**
 * One `ship-logs --once` over the backlog into an empty sink, from an empty
 * state directory, then (unless told not to) every line checked in the sink.
 * @param {BenchEnvironment} env
 * @param {Backlog} backlog
 * @param {{ label: string, capMiBps: number, batchMaxBytes: number, compressionLevel: number, cpuProf: boolean, verify: boolean }} options
 * @returns {Promise<ShipOnceResult>}
 */
export async function runShipOnce(env, backlog, options) {
  const { sink } = env;
  sink.clear();
  sink.setCap(options.capMiBps);
  const stateDir = env.freshDir("state");
  const cpuProfDir = options.cpuProf ? env.freshDir(`profile-${options.label}`) : undefined;
  const args = shipLogsArgs(env.productDir, {
    once: true,
    watch: join(backlog.dir, "*.log"),
    bucket: env.bucket,
    endpoint: sink.endpoint,
    imdsEndpoint: env.imds.endpoint,
    stateDir,
    batchMaxBytes: options.batchMaxBytes,
    compressionLevel: options.compressionLevel,
    nodeFlags: env.nodeFlags,
    ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
  });
  const measured = await runMeasured(process.execPath, args, { env: productEnv() });
  sink.setCap(undefined);
  if (measured.exitCode !== 0) {
    throw new Error(`ship-logs --once exited ${measured.exitCode}: ${measured.stderr.trim().slice(-2000)}`);
  }
  const objects = sink.objects();
  const profileFile = cpuProfDir === undefined ? undefined : readdirSync(cpuProfDir).find((name) => name.endsWith(".cpuprofile"));
  const result = {
    label: options.label,
    capMiBps: options.capMiBps,
    measured,
    verification: options.verify ? verifyShipped(backlog, objects) : undefined,
    bytesIn: backlog.bytes,
    bytesStored: sink.bytesStored,
    objects: objects.length,
    summary: measured.stdout.trim(),
    arrivals: {
      firstS: ((objects[0]?.arrivedAt ?? Number.NaN) - measured.startedAtMs) / 1000,
      lastS: ((objects.at(-1)?.arrivedAt ?? Number.NaN) - measured.startedAtMs) / 1000,
    },
    profile: cpuProfDir === undefined || profileFile === undefined ? undefined : summarizeCpuProfile(join(cpuProfDir, profileFile)),
  };
  sink.clear();
  env.removeDir("state");
  return result;
}
