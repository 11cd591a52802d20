// @ts-check
import { join } from "node:path";
import { findAws } from "../lib/awsCopyCommand.mjs";
import { fixed, formatTable } from "../lib/formatTable.mjs";
import { generateBacklog } from "../lib/generateBacklog.mjs";
import { batchPieces, measureZlibLimit } from "../lib/measureZlibLimit.mjs";
import { runAwsCopy } from "../lib/runAwsCopy.mjs";
import { runShipOnce } from "../lib/runShipOnce.mjs";
import { formatProfileSummary } from "../lib/summarizeCpuProfile.mjs";
import { checkTarget, targetRows } from "../lib/Target.mjs";
import { waitForQuiet } from "../lib/waitForQuiet.mjs";

/** @typedef {import("../lib/BenchEnvironment.mjs").BenchEnvironment} BenchEnvironment */
/** @typedef {import("../lib/runShipOnce.mjs").ShipOnceResult} ShipOnceResult */
/** @typedef {import("../lib/runAwsCopy.mjs").AwsCopyResult} AwsCopyResult */

/**
 * @typedef {object} OnceOptions
 * @property {number} sizeBytes
 * @property {number} files
 * @property {number} seed
 * @property {number} batchMaxBytes
 * @property {number} compressionLevel
 * @property {number} capMiBps 0: no capped runs
 * @property {boolean} aws false: skip the aws s3 cp runs
 * @property {string | undefined} awsPath
 * @property {boolean} cpuProf
 * @property {boolean} verify
 * @property {number} runs rounds; the fastest of each contender is reported
 * @property {number} quietWaitS longest wait for a quiet machine before each measurement
 */

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * The fastest of repeated runs: on a shared machine, interference only ever
 * slows a run down, so the minimum is the best estimate of the program itself.
 * @template {{ seconds: number }} T
 * @param {readonly T[]} runs
 * @returns {T}
 */
function fastest(runs) {
  return /** @type {T} */ (runs.reduce((best, run) => (run.seconds < best.seconds ? run : best)));
}

/** @param {readonly { seconds: number }[]} runs */
function everyWall(runs) {
  return runs.map((run) => fixed(run.seconds, 2)).join(", ");
}

/** @param {readonly (ShipOnceResult | AwsCopyResult)[]} all */
function runRow(all) {
  const timed = all.map((run) => ({ run, seconds: run.measured.wallS }));
  const { run } = fastest(timed);
  const { measured } = run;
  const failed = all.find((each) => each.verification && !each.verification.ok);
  const verified = run.verification === undefined ? "skipped" : failed ? "FAILED" : `ok ${run.verification.lines} lines`;
  return [
    run.label,
    run.capMiBps ? String(run.capMiBps) : "–",
    fixed(measured.wallS, 2),
    fixed(run.bytesIn / MIB / measured.wallS, 1),
    fixed(measured.cpuS, 2),
    fixed(measured.cpuS / (run.bytesIn / GIB), 2),
    fixed(measured.peakRssMiB, 1),
    fixed(run.bytesStored / MIB, 1),
    String(run.objects),
    fixed(measured.background.otherS, 1),
    everyWall(timed),
    verified,
  ];
}

/** The limits measured: zlib's defaults on 1 and 2 cores (the issue's), then the product's memLevel on 2. */
const ZLIB_LIMITS = [
  { threads: 1, memLevel: 8 },
  { threads: 2, memLevel: 8 },
  { threads: 2, memLevel: 9 },
];

/** @param {readonly import("../lib/measureZlibLimit.mjs").ZlibLimit[]} all @param {number} level */
function zlibRow(all, level) {
  const limit = fastest(all);
  return [
    `node zlib-${level}${limit.memLevel === 8 ? "" : ` memLevel ${limit.memLevel}`}, ${limit.threads} core${limit.threads > 1 ? "s" : ""}`,
    "–",
    fixed(limit.seconds, 2),
    fixed(limit.mibPerSecond, 1),
    `≈${fixed(limit.seconds * limit.threads, 2)}`,
    `≈${fixed((limit.seconds * limit.threads) / (limit.bytesIn / GIB), 2)}`,
    "–",
    fixed(limit.bytesOut / MIB, 1),
    "–",
    fixed(limit.background.otherS, 1),
    everyWall(all),
    "–",
  ];
}

/** "name 1.23 s" per thread name, busiest first. @param {Record<string, number>} threads */
function formatThreads(threads) {
  return Object.entries(threads)
    .filter(([, seconds]) => seconds >= 0.01)
    .sort(([, a], [, b]) => b - a)
    .map(([name, seconds]) => `${name} ${fixed(seconds, 2)} s`)
    .join(", ");
}

/** @template {{ measured: { wallS: number } }} T @param {readonly T[]} runs @returns {T | undefined} */
function fastestRun(runs) {
  const timed = runs.map((run) => ({ run, seconds: run.measured.wallS }));
  return timed.length === 0 ? undefined : fastest(timed).run;
}

/**
 * Each round's zlib 2-core time ÷ its uncapped ship-logs time, in round order.
 * @param {readonly { seconds: number }[]} zlib2Runs
 * @param {readonly ShipOnceResult[]} shipRunsUncapped
 */
function roundRatios(zlib2Runs, shipRunsUncapped) {
  return shipRunsUncapped.map((run, round) => fixed((zlib2Runs[round]?.seconds ?? Number.NaN) / run.measured.wallS, 3)).join(", ");
}

/**
 * `once`: ship-logs --once over a generated backlog, and in the same run the
 * zlib limit and `aws s3 cp`, so the ratios compare like with like.
 * @param {BenchEnvironment} env
 * @param {OnceOptions} options
 */
export async function onceMode(env, options) {
  const log = (/** @type {string} */ text) => process.stdout.write(`${text}\n`);
  const aws = options.aws ? findAws(options.awsPath) : undefined;
  if (options.aws && !aws) log("aws CLI not found: the aws s3 cp comparison is skipped");

  const started = performance.now();
  const backlog = generateBacklog({ dir: join(env.workDir, "backlog"), totalBytes: options.sizeBytes, files: options.files, seed: options.seed });
  log(
    `backlog: ${backlog.files.length} files, ${fixed(backlog.bytes / MIB, 1)} MiB, ${backlog.lines} lines ` +
      `(${fixed(backlog.bytes / backlog.lines, 0)} B/line), seed ${options.seed}, generated in ${fixed((performance.now() - started) / 1000, 1)} s`,
  );

  const level = options.compressionLevel;
  const pieces = batchPieces(backlog.files, options.batchMaxBytes);

  const shipOptions = { batchMaxBytes: options.batchMaxBytes, compressionLevel: level, verify: options.verify };
  /** @type {import("../lib/measureZlibLimit.mjs").ZlibLimit[][]} */
  const zlibRuns = ZLIB_LIMITS.map(() => []);
  /** @type {ShipOnceResult[][]} */
  const shipRuns = [[], []];
  /** @type {AwsCopyResult[][]} */
  const awsRuns = [[], []];
  const caps = options.capMiBps > 0 ? [0, options.capMiBps] : [0];
  /** @param {string} what */
  const quietThen = async (what) => {
    const { quiet, waitedS } = await waitForQuiet({ maxWaitS: options.quietWaitS });
    log(`${what}${quiet || options.quietWaitS === 0 ? "" : ` (machine still busy after ${fixed(waitedS, 0)} s of waiting)`}…`);
  };
  // Rounds interleave the contenders, so a burst of foreign load hurts them alike.
  for (let round = 1; round <= options.runs; round += 1) {
    const of = options.runs > 1 ? ` (round ${round} of ${options.runs})` : "";
    for (const [index, { threads, memLevel }] of ZLIB_LIMITS.entries()) {
      await quietThen(
        `limit: node zlib level ${level} memLevel ${memLevel}, chunkSize 1 MiB, ${pieces.length} pieces cut as the product's batches, ${threads} core(s)${of}`,
      );
      zlibRuns[index]?.push(await measureZlibLimit(pieces, threads, level, memLevel));
    }
    for (const [index, cap] of caps.entries()) {
      await quietThen(`ship-logs --once, sink ${cap ? `capped at ${cap} MiB/s` : "uncapped"}${of}`);
      shipRuns[index]?.push(await runShipOnce(env, backlog, { ...shipOptions, label: "ship-logs --once", capMiBps: cap, cpuProf: false }));
      if (!aws) continue;
      await quietThen(`${aws.version} s3 cp --recursive, sink ${cap ? `capped at ${cap} MiB/s` : "uncapped"}${of}`);
      awsRuns[index]?.push(await runAwsCopy(env, backlog, { label: "aws s3 cp", awsPath: aws.path, capMiBps: cap, verify: options.verify }));
    }
  }
  // The profiler slows the run it samples (by 5-20 % here), so the profile
  // comes from one more run, after the measured ones, and is not one of them.
  /** @type {ShipOnceResult | undefined} */
  let profiled;
  if (options.cpuProf) {
    await quietThen("ship-logs --once under node --cpu-prof, uncapped (not measured)");
    profiled = await runShipOnce(env, backlog, { ...shipOptions, label: "ship-logs --once (profiled)", capMiBps: 0, cpuProf: true });
  }
  env.removeDir("backlog");

  const zlib1 = fastest(zlibRuns[0] ?? []);
  const zlib2 = fastest(zlibRuns[1] ?? []);
  const zlib2Product = fastest(zlibRuns[2] ?? []);
  const ship = /** @type {ShipOnceResult} */ (fastestRun(shipRuns[0] ?? []));
  const shipCapped = fastestRun(shipRuns[1] ?? []);
  const awsRun = fastestRun(awsRuns[0] ?? []);
  const awsCapped = fastestRun(awsRuns[1] ?? []);
  const groups = [...shipRuns, ...awsRuns].filter((group) => group.length > 0);
  log("");
  log(
    formatTable(
      ["run", "cap MiB/s", "wall s", "input MiB/s", "CPU s", "CPU s/GiB", "peak RSS MiB", "stored MiB", "objects", "bg CPU s", "wall s, every run", "verified"],
      [...zlibRuns.map((runs) => zlibRow(runs, level)), ...groups.map(runRow)],
    ),
  );
  log("(fastest run shown; bg CPU s: CPU used by other processes on the machine during that run)");
  log("");
  log(
    `ship-logs, fastest uncapped run: CPU by thread ${formatThreads(ship.measured.threadCpuS)}; ` +
      `first object ${fixed(ship.arrivals.firstS, 2)} s after spawn, last ${fixed(ship.arrivals.lastS, 2)} s, exit ${fixed(ship.measured.wallS, 2)} s; ` +
      `${fixed(ship.measured.cpuS / ship.measured.wallS, 2)} cores busy on average`,
  );

  const shipRate = backlog.bytes / MIB / ship.measured.wallS;
  const ratios = [
    ["ship-logs ÷ zlib 2-core rate", fixed(shipRate / zlib2.mibPerSecond, 3)],
    // Fastest over fastest hides how far apart the rounds were; a round's own
    // pair ran within a minute of each other, so its ratio shows the spread.
    ["the same, round by round", roundRatios(zlibRuns[1] ?? [], shipRuns[0] ?? [])],
    ["ship-logs ÷ zlib 2-core rate, memLevel 9 as the product", fixed(shipRate / zlib2Product.mibPerSecond, 3)],
    ["ship-logs ÷ zlib 1-core rate", fixed(shipRate / zlib1.mibPerSecond, 3)],
    ["ship-logs CPU ÷ zlib 1-core CPU", fixed(ship.measured.cpuS / zlib1.seconds, 3)],
    ["peak RSS: GNU time ÷ polled VmHWM", fixed(ship.measured.peakRssMiB / ship.measured.polledPeakMiB, 3)],
  ];
  if (awsRun) ratios.push(["ship-logs wall ÷ aws s3 cp wall (uncapped)", fixed(ship.measured.wallS / awsRun.measured.wallS, 3)]);
  if (shipCapped && awsCapped) {
    ratios.push([`ship-logs wall ÷ aws s3 cp wall (${options.capMiBps} MiB/s cap)`, fixed(shipCapped.measured.wallS / awsCapped.measured.wallS, 3)]);
  }
  log("");
  log(formatTable(["ratio (same run)", "value"], ratios));

  const targets = [
    checkTarget({ name: "throughput ÷ zlib-6 2-core", value: shipRate / zlib2.mibPerSecond, limit: 0.85, atMost: false, unit: "×" }),
    checkTarget({ name: "CPU per GiB", value: ship.measured.cpuS / (backlog.bytes / GIB), limit: 12, atMost: true, unit: "s", digits: 0 }),
    checkTarget({ name: "peak RSS", value: ship.measured.peakRssMiB, limit: 110, atMost: true, unit: "MiB", digits: 0 }),
  ];
  if (shipCapped && awsCapped) {
    targets.push(
      checkTarget({
        name: `durable time ÷ aws s3 cp, ${options.capMiBps} MiB/s cap`,
        value: shipCapped.measured.wallS / awsCapped.measured.wallS,
        limit: 0.65,
        atMost: true,
        unit: "×",
      }),
    );
  }
  log("");
  log(formatTable(["target", "goal", "measured", "margin"], targetRows(targets)));
  if (profiled?.profile) {
    log("");
    log(`ship-logs main-thread CPU profile (node --cpu-prof, an extra uncapped run: ${fixed(profiled.measured.wallS, 2)} s wall, not measured):`);
    log(formatProfileSummary(profiled.profile));
  }
  const runs = groups.flat();
  const failures = [...runs, ...(profiled ? [profiled] : [])].flatMap((run) => (run.verification && !run.verification.ok ? run.verification.problems.map((p) => `${run.label}: ${p}`) : []));
  for (const failure of failures.slice(0, 20)) log(`VERIFY FAILED ${failure}`);
  return {
    ok: failures.length === 0,
    result: { backlog: { files: backlog.files.length, bytes: backlog.bytes, lines: backlog.lines }, zlib: zlibRuns, runs, targets },
  };
}
