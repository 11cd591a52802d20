// @ts-check
import { awsCopyCommand } from "./awsCopyCommand.mjs";
import { runMeasured } from "./runMeasured.mjs";
import { verifyCopied } from "./verifyShipped.mjs";

/** @typedef {import("./BenchEnvironment.mjs").BenchEnvironment} BenchEnvironment */
/** @typedef {import("./generateBacklog.mjs").Backlog} Backlog */

/**
 * @typedef {object} AwsCopyResult
 * @property {string} label
 * @property {number} capMiBps
 * @property {import("./runMeasured.mjs").Measured} measured
 * @property {import("./verifyShipped.mjs").Verification | undefined} verification
 * @property {number} bytesIn
 * @property {number} bytesStored
 * @property {number} objects
 */

/**
 * The user's alternative: `aws s3 cp --recursive` of the same files into the same sink.
 * @param {BenchEnvironment} env
 * @param {Backlog} backlog
 * @param {{ label: string, awsPath: string, capMiBps: number, verify: boolean }} options
 * @returns {Promise<AwsCopyResult>}
 */
export async function runAwsCopy(env, backlog, options) {
  const { sink } = env;
  sink.clear();
  sink.setCap(options.capMiBps);
  const home = env.freshDir("aws-home");
  const { args, env: childEnv } = awsCopyCommand({ dir: backlog.dir, bucket: env.bucket, prefix: "awscp", endpoint: sink.endpoint, home });
  const measured = await runMeasured(options.awsPath, args, { env: childEnv });
  sink.setCap(undefined);
  if (measured.exitCode !== 0) throw new Error(`aws s3 cp exited ${measured.exitCode}: ${measured.stderr.trim().slice(-2000)}`);
  const objects = sink.objects();
  const result = {
    label: options.label,
    capMiBps: options.capMiBps,
    measured,
    verification: options.verify ? verifyCopied(backlog, objects) : undefined,
    bytesIn: backlog.bytes,
    bytesStored: sink.bytesStored,
    objects: objects.length,
  };
  sink.clear();
  env.removeDir("aws-home");
  return result;
}
