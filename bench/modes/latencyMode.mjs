// @ts-check
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { epochMs } from "../lib/BenchSink.mjs";
import { fixed, formatTable } from "../lib/formatTable.mjs";
import { LatencyCollector } from "../lib/LatencyCollector.mjs";
import { logLineGenerator } from "../lib/logLineGenerator.mjs";
import { percentile } from "../lib/percentile.mjs";
import { startBackgroundMeter } from "../lib/backgroundMeter.mjs";
import { cpuSeconds, memory } from "../lib/procStats.mjs";
import { productEnv, shipLogsArgs } from "../lib/productCommand.mjs";
import { seededRandom } from "../lib/seededRandom.mjs";
import { checkTarget, targetRows } from "../lib/Target.mjs";
import { waitForQuiet } from "../lib/waitForQuiet.mjs";

/** @typedef {import("../lib/BenchEnvironment.mjs").BenchEnvironment} BenchEnvironment */

/**
 * @typedef {object} LatencyOptions
 * @property {number} rate lines per second
 * @property {number} durationS
 * @property {number} flushIntervalS
 * @property {number} idleS
 * @property {number} seed
 * @property {number} batchMaxBytes
 * @property {number} compressionLevel
 * @property {number} quietWaitS
 */

/** The appender's tick: 1 000 lines/s arrive as 10 writes of 10 lines every 10 ms. */
const TICK_MS = 10;

/**
 * Resolves once `done()` holds, polling; rejects after `timeoutMs`.
 * @param {() => boolean} done
 * @param {number} timeoutMs
 * @param {string} what
 */
async function waitUntil(done, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** @param {readonly number[]} values */
function median(values) {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/**
 * `latency`: the daemon follows one file that grows at a steady rate; every
 * line carries its append time, the sink the arrival time of each object.
 * @param {BenchEnvironment} env
 * @param {LatencyOptions} options
 */
export async function latencyMode(env, options) {
  const log = (/** @type {string} */ text) => process.stdout.write(`${text}\n`);
  const { sink } = env;
  sink.clear();
  const { quiet } = await waitForQuiet({ maxWaitS: options.quietWaitS });
  if (!quiet && options.quietWaitS > 0) log("latency: the machine is busy; starting anyway");
  const dir = env.freshDir("follow");
  const file = join(dir, "app.log");
  writeFileSync(file, "");
  const args = shipLogsArgs(env.productDir, {
    once: false,
    watch: join(dir, "*.log"),
    bucket: env.bucket,
    endpoint: sink.endpoint,
    imdsEndpoint: env.imds.endpoint,
    stateDir: env.freshDir("state"),
    batchMaxBytes: options.batchMaxBytes,
    compressionLevel: options.compressionLevel,
    flushIntervalS: options.flushIntervalS,
    nodeFlags: env.nodeFlags,
  });
  // The daemon's output goes to a file beside the state (kept with --keep), so
  // that e.g. --node-flags=--trace-gc can be read afterwards.
  const outputPath = join(env.workDir, "daemon.log");
  const output = openSync(outputPath, "w");
  const daemon = spawn(process.execPath, args, { env: productEnv(), stdio: ["ignore", output, output] });
  closeSync(output);
  const exited = new Promise((resolve) => daemon.on("close", (code) => resolve(code)));
  const pid = /** @type {number} */ (daemon.pid);

  const next = logLineGenerator(seededRandom(options.seed));
  const fd = openSync(file, "a");
  const collector = new LatencyCollector(sink);
  /** @type {{ atS: number, rssKiB: number }[]} */
  const rss = [];
  let written = 0;
  try {
    // A probe line proves the daemon is up and shipping before the clock starts.
    writeSync(fd, next({ ms: epochMs(), seq: -1 }));
    await waitUntil(
      () => {
        if (daemon.exitCode !== null) throw new Error(`the daemon exited with ${daemon.exitCode}: ${readFileSync(outputPath, "utf8").slice(-2000)}`);
        return sink.objectCount > 0;
      },
      30_000 + options.flushIntervalS * 1000,
      "the daemon to ship a probe line",
    );
    collector.ignoreExisting();
    log(`latency: appending ${options.rate} lines/s for ${options.durationS} s, flush interval ${options.flushIntervalS} s…`);

    const started = performance.now();
    const meter = startBackgroundMeter();
    const daemonCpuBefore = cpuSeconds(pid) ?? Number.NaN;
    const total = Math.round(options.rate * options.durationS);
    const sampler = setInterval(() => {
      const now = memory(pid);
      if (now) rss.push({ atS: (performance.now() - started) / 1000, rssKiB: now.rssKiB });
    }, 1000);
    while (written < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.rate));
      if (due > written) {
        const ms = epochMs();
        let text = "";
        for (; written < due; written += 1) text += next({ ms, seq: written });
        writeSync(fd, text);
      }
      collector.collect();
      await sleep(TICK_MS);
    }
    clearInterval(sampler);
    const appendS = (performance.now() - started) / 1000;
    const activeCpuS = (cpuSeconds(pid) ?? Number.NaN) - daemonCpuBefore;
    const background = meter(activeCpuS);
    await waitUntil(
      () => {
        collector.collect();
        return collector.lines >= total;
      },
      options.flushIntervalS * 1000 + 30_000,
      "every appended line to arrive",
    ).catch((error) => log(`warning: ${error.message}`));

    // Idle: nothing is appended; the daemon should cost next to nothing.
    const cpuBefore = cpuSeconds(pid) ?? Number.NaN;
    const idleStarted = performance.now();
    await sleep(options.idleS * 1000);
    const idleCpuPercent = (((cpuSeconds(pid) ?? Number.NaN) - cpuBefore) / ((performance.now() - idleStarted) / 1000)) * 100;
    const idleMemory = memory(pid);
    collector.collect();

    daemon.kill("SIGTERM");
    const exitCode = await exited;
    const sorted = [...collector.latencies].sort((a, b) => a - b);
    const steady = rss.filter((sample) => sample.atS >= options.durationS / 2).map((sample) => sample.rssKiB / 1024);
    const figures = {
      appended: written,
      delivered: collector.lines,
      missing: collector.missing(written),
      duplicates: collector.duplicates,
      objects: collector.objects,
      p50S: percentile(sorted, 50) / 1000,
      p99S: percentile(sorted, 99) / 1000,
      maxS: (sorted.at(-1) ?? Number.NaN) / 1000,
      minS: (sorted[0] ?? Number.NaN) / 1000,
      steadyRssMiB: median(steady),
      maxRssMiB: Math.max(...rss.map((sample) => sample.rssKiB / 1024)),
      peakRssMiB: (idleMemory?.peakKiB ?? Number.NaN) / 1024,
      idleRssMiB: (idleMemory?.rssKiB ?? Number.NaN) / 1024,
      idleCpuPercent,
      activeCpuPercent: (activeCpuS / appendS) * 100,
      foreignCpuS: background.otherS,
      exitCode,
    };
    log("");
    log(
      formatTable(
        ["figure", "value"],
        [
          ["lines appended / delivered", `${figures.appended} / ${figures.delivered}`],
          ["missing / duplicated lines", `${figures.missing} / ${figures.duplicates}`],
          ["objects", String(figures.objects)],
          ["append→visible min / p50 / p99 / max", `${fixed(figures.minS, 2)} / ${fixed(figures.p50S, 2)} / ${fixed(figures.p99S, 2)} / ${fixed(figures.maxS, 2)} s`],
          ["RSS steady (median, 2nd half) / max while appending", `${fixed(figures.steadyRssMiB, 1)} / ${fixed(figures.maxRssMiB, 1)} MiB`],
          ["RSS idle / VmHWM", `${fixed(figures.idleRssMiB, 1)} / ${fixed(figures.peakRssMiB, 1)} MiB`],
          [`idle CPU over ${options.idleS} s / CPU while appending`, `${fixed(figures.idleCpuPercent, 2)} / ${fixed(figures.activeCpuPercent, 2)} % of one core`],
          ["CPU used by other processes while appending", `${fixed(figures.foreignCpuS, 1)} s`],
          ["daemon exit code after SIGTERM", String(figures.exitCode)],
        ],
      ),
    );
    const targets = [
      checkTarget({ name: "p99 append→visible", value: figures.p99S, limit: 3, atMost: true, unit: "s", digits: 0 }),
      checkTarget({ name: "steady RSS", value: figures.steadyRssMiB, limit: 80, atMost: true, unit: "MiB", digits: 0 }),
      checkTarget({ name: "idle CPU", value: figures.idleCpuPercent, limit: 0.5, atMost: true, strict: true, unit: "%", digits: 1 }),
    ];
    log("");
    log(formatTable(["target", "goal", "measured", "margin"], targetRows(targets)));
    const ok = figures.missing === 0 && figures.duplicates === 0 && exitCode === 0;
    if (!ok) log(`DELIVERY PROBLEM: missing ${figures.missing}, duplicated ${figures.duplicates}, exit ${exitCode}; daemon output:\n${readFileSync(outputPath, "utf8").slice(-2000)}`);
    return { ok, result: { figures, targets, rss } };
  } finally {
    closeSync(fd);
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill("SIGKILL");
      await exited;
    }
    sink.clear();
    env.removeDir("follow");
    env.removeDir("state");
  }
}
