// @ts-check
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BenchUsageError } from "./BenchUsageError.mjs";
import { startBackgroundMeter } from "./backgroundMeter.mjs";
import { firstChild, memory, threadCpu } from "./procStats.mjs";

const GNU_TIME = "/usr/bin/time";

/**
 * @typedef {object} Measured
 * @property {number} startedAtMs epoch ms at spawn, on the sink's clock
 * @property {number} wallS spawn to exit, as the bench sees it
 * @property {number} userS
 * @property {number} sysS
 * @property {number} cpuS user + sys, every thread and every waited-for child
 * @property {number} peakRssMiB ru_maxrss from GNU time, cross-checked against polled VmHWM
 * @property {number} polledPeakMiB VmHWM last read from /proc while it ran (0 if it ended too soon)
 * @property {number | null} exitCode
 * @property {string} stdout
 * @property {string} stderr
 * @property {import("./backgroundMeter.mjs").Background} background what else used the CPU meanwhile
 * @property {Record<string, number>} threadCpuS CPU seconds of the main thread and of the others, polled (misses the last 50 ms)
 */

/**
 * Runs a command to its end under GNU time, which reports CPU and peak RSS
 * from the kernel's rusage at exit (exact, unlike sampling). VmHWM of the
 * program itself is polled as well, as a check on the wrapper's figure.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [options]
 * @returns {Promise<Measured>}
 */
export async function runMeasured(command, args, options = {}) {
  if (!existsSync(GNU_TIME)) throw new BenchUsageError(`${GNU_TIME} is missing: apt-get install time`);
  const report = join(tmpdir(), `ship-logs-bench-time-${process.pid}-${Date.now()}.txt`);
  const started = performance.now();
  const startedAtMs = performance.timeOrigin + started;
  const meter = startBackgroundMeter();
  const child = spawn(GNU_TIME, ["-f", "%e %U %S %M", "-o", report, command, ...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text) => (stderr += text));
  let polledPeakKiB = 0;
  /** @type {Map<string, number>} last CPU reading of every thread seen, by "tid:name" */
  const threads = new Map();
  let program = /** @type {number | undefined} */ (undefined);
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    program ??= firstChild(child.pid);
    const now = program === undefined ? undefined : memory(program);
    if (now) polledPeakKiB = Math.max(polledPeakKiB, now.peakKiB);
    if (program !== undefined) for (const [thread, seconds] of threadCpu(program)) threads.set(thread, seconds);
  }, 50);
  const exitCode = await new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });
  clearInterval(poll);
  const wallS = (performance.now() - started) / 1000;
  const text = readFileSync(report, "utf8").trim().split("\n").at(-1) ?? "";
  rmSync(report, { force: true });
  const [, user, sys, maxKiB] = text.split(" ").map(Number);
  if (user === undefined || sys === undefined || maxKiB === undefined || Number.isNaN(maxKiB)) {
    throw new Error(`cannot parse GNU time's report ${JSON.stringify(text)} (stderr: ${stderr.slice(-500)})`);
  }
  /** @type {Record<string, number>} */
  const threadCpuS = {};
  for (const [thread, seconds] of threads) {
    // Node 20 names every thread "node": tell the main thread (tid = pid) from
    // the rest (libuv's pool, where zlib and fs run, and V8's helpers).
    const [tid, name] = thread.split(":");
    const group = Number(tid) === program ? "main thread" : name === "node" ? "other threads" : `${name} threads`;
    threadCpuS[group] = (threadCpuS[group] ?? 0) + seconds;
  }
  return {
    threadCpuS,
    startedAtMs,
    background: meter(user + sys),
    wallS,
    userS: user,
    sysS: sys,
    cpuS: user + sys,
    peakRssMiB: maxKiB / 1024,
    polledPeakMiB: polledPeakKiB / 1024,
    exitCode: /** @type {number | null} */ (exitCode),
    stdout,
    stderr,
  };
}
