#!/usr/bin/env node
// @ts-check
// The bench entry point: `node bench/run.mjs <once|latency|memory> [options]`
// (`npm run bench -- …`). Never part of `npm test`.
import { mkdirSync, statfsSync, writeFileSync } from "node:fs";
import { BenchEnvironment } from "./lib/BenchEnvironment.mjs";
import { BenchUsageError } from "./lib/BenchUsageError.mjs";
import { formatMachineInfo, machineInfo } from "./lib/machineInfo.mjs";
import { parseBenchArgs, USAGE } from "./lib/parseBenchArgs.mjs";
import { latencyMode } from "./modes/latencyMode.mjs";
import { memoryMode } from "./modes/memoryMode.mjs";
import { onceMode } from "./modes/onceMode.mjs";

// The product's SDK prints a Node-version notice on Node 20; the bench's output is a report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Refuse to start a run that would fill the disk halfway through. @param {string} dir @param {number} bytes */
function requireFreeSpace(dir, bytes) {
  mkdirSync(dir, { recursive: true });
  const stats = statfsSync(dir);
  const free = stats.bavail * stats.bsize;
  const needed = bytes * 1.1 + 256 * 2 ** 20;
  if (free < needed) {
    throw new BenchUsageError(`${dir} has ${(free / 2 ** 30).toFixed(1)} GiB free; this run needs about ${(needed / 2 ** 30).toFixed(1)} GiB (use --tmp)`);
  }
}

/** @param {readonly string[]} argv @returns {Promise<number>} */
async function main(argv) {
  const args = parseBenchArgs(argv);
  if (args.mode === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const largest = args.mode === "once" ? args.sizeBytes : args.mode === "memory" ? Math.max(...args.sizesBytes) : 0;
  requireFreeSpace(args.tmpRoot, largest);
  const info = machineInfo(args.productDir);
  process.stdout.write(`${formatMachineInfo(info)}\nbench: ${args.mode} ${argv.slice(1).join(" ")}\n`);
  const env = await BenchEnvironment.start({ productDir: args.productDir, nodeFlags: args.nodeFlags, tmpRoot: args.tmpRoot, keep: args.keep });
  let outcome;
  try {
    const shared = { quietWaitS: args.quietWaitS, seed: args.seed, files: args.files, batchMaxBytes: args.batchMaxBytes, compressionLevel: args.compressionLevel, verify: args.verify };
    if (args.mode === "once") {
      outcome = await onceMode(env, { ...shared, sizeBytes: args.sizeBytes, capMiBps: args.capMiBps, aws: args.aws, awsPath: args.awsPath, cpuProf: args.cpuProf, runs: args.runs });
    } else if (args.mode === "latency") {
      outcome = await latencyMode(env, {
        quietWaitS: args.quietWaitS,
        seed: args.seed,
        batchMaxBytes: args.batchMaxBytes,
        compressionLevel: args.compressionLevel,
        rate: args.rate,
        durationS: args.durationS,
        flushIntervalS: args.flushIntervalS,
        idleS: args.idleS,
      });
    } else {
      outcome = await memoryMode(env, { ...shared, sizesBytes: args.sizesBytes });
    }
  } finally {
    await env.close();
  }
  if (args.json !== undefined) {
    writeFileSync(args.json, `${JSON.stringify({ machine: info, mode: args.mode, argv, at: new Date().toISOString(), ...outcome }, null, 2)}\n`);
  }
  return outcome.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`bench: ${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
