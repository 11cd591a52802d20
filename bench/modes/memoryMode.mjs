// @ts-check
import { join } from "node:path";
import { fixed, formatTable } from "../lib/formatTable.mjs";
import { generateBacklog } from "../lib/generateBacklog.mjs";
import { runShipOnce } from "../lib/runShipOnce.mjs";
import { checkTarget, targetRows } from "../lib/Target.mjs";
import { waitForQuiet } from "../lib/waitForQuiet.mjs";

/** @typedef {import("../lib/BenchEnvironment.mjs").BenchEnvironment} BenchEnvironment */

/**
 * @typedef {object} MemoryOptions
 * @property {number[]} sizesBytes
 * @property {number} files
 * @property {number} seed
 * @property {number} batchMaxBytes
 * @property {number} compressionLevel
 * @property {boolean} verify
 * @property {number} quietWaitS
 */

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * `memory`: peak RSS of ship-logs --once as the backlog grows. The files are
 * the buffer, so it must stay flat. One backlog on disk at a time.
 * @param {BenchEnvironment} env
 * @param {MemoryOptions} options
 */
export async function memoryMode(env, options) {
  const log = (/** @type {string} */ text) => process.stdout.write(`${text}\n`);
  const rows = [];
  for (const sizeBytes of options.sizesBytes) {
    const backlog = generateBacklog({ dir: join(env.workDir, "backlog"), totalBytes: sizeBytes, files: options.files, seed: options.seed });
    const { quiet } = await waitForQuiet({ maxWaitS: options.quietWaitS });
    log(`memory: ${fixed(backlog.bytes / MIB, 0)} MiB in ${backlog.files.length} files${quiet || options.quietWaitS === 0 ? "" : " (machine busy)"}…`);
    const run = await runShipOnce(env, backlog, {
      label: `${fixed(sizeBytes / MIB, 0)} MiB`,
      capMiBps: 0,
      batchMaxBytes: options.batchMaxBytes,
      compressionLevel: options.compressionLevel,
      cpuProf: false,
      verify: options.verify,
    });
    env.removeDir("backlog");
    rows.push(run);
  }
  log("");
  log(
    formatTable(
      ["backlog", "wall s", "input MiB/s", "CPU s/GiB", "peak RSS MiB (time)", "VmHWM MiB (polled)", "objects", "bg CPU s", "verified"],
      rows.map((run) => [
        run.label,
        fixed(run.measured.wallS, 2),
        fixed(run.bytesIn / MIB / run.measured.wallS, 1),
        fixed(run.measured.cpuS / (run.bytesIn / GIB), 2),
        fixed(run.measured.peakRssMiB, 1),
        fixed(run.measured.polledPeakMiB, 1),
        String(run.objects),
        fixed(run.measured.background.otherS, 1),
        run.verification === undefined ? "skipped" : run.verification.ok ? `ok ${run.verification.lines} lines` : "FAILED",
      ]),
    ),
  );
  const peaks = rows.map((run) => run.measured.peakRssMiB);
  const largest = rows.at(-1);
  // The reference point is the 1 GiB run; without one, the smallest.
  const reference = rows.find((run) => run.bytesIn >= GIB * 0.99 && run.bytesIn <= GIB * 1.01) ?? rows[0];
  const targets = [checkTarget({ name: "peak RSS, largest backlog", value: Math.max(...peaks), limit: 110, atMost: true, unit: "MiB", digits: 0 })];
  if (largest && reference && largest !== reference) {
    const drift = Math.abs(largest.measured.peakRssMiB / reference.measured.peakRssMiB - 1) * 100;
    targets.push(checkTarget({ name: `peak RSS ${largest.label} vs ${reference.label}`, value: drift, limit: 10, atMost: true, unit: "% apart", digits: 0 }));
  }
  log("");
  log(formatTable(["target", "goal", "measured", "margin"], targetRows(targets)));
  const failures = rows.filter((run) => run.verification && !run.verification.ok);
  for (const run of failures) log(`VERIFY FAILED ${run.label}: ${run.verification?.problems.slice(0, 5).join("; ")}`);
  return { ok: failures.length === 0, result: { runs: rows, targets } };
}
