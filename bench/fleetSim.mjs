#!/usr/bin/env node
// @ts-check
// A fleet of real ship-logs daemons writing one bucket: `node bench/fleetSim.mjs --hosts N --seconds S`
// (`npm run fleet-sim -- …`). `simulateFleet` is also run by test/e2e/fleetSim.test.ts with a small N.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FleetHost } from "./fleet/FleetHost.mjs";
import { FleetUsageError } from "./fleet/FleetUsageError.mjs";
import { parseFleetArgs, USAGE } from "./fleet/parseFleetArgs.mjs";
import { putRates, S3_PUTS_PER_SECOND_PER_PREFIX } from "./fleet/putRates.mjs";
import { verifyFleet } from "./fleet/verifyFleet.mjs";
import { fixed, formatTable } from "./lib/formatTable.mjs";
import { productCli } from "./lib/productCommand.mjs";

/**
 * @typedef {object} FleetOptions
 * @property {number} hosts daemons, each with its own fake IMDS
 * @property {number} seconds of writing, after every daemon has shipped its first lines
 * @property {number} [files] logs per host (default 2)
 * @property {number} [rate] lines per second per log (default 100)
 * @property {number} [flushIntervalS] ship-logs --flush-interval (default 1)
 * @property {number} [rotateEveryS] each log renamed and recreated this often (default 3)
 * @property {number} [seed] (default 1)
 * @property {string} [productDir] checkout with a built dist/ (default: this repository)
 * @property {boolean} [keep] keep the scratch directory
 * @property {(text: string) => void} [log] progress lines (default: none)
 */

/**
 * @typedef {object} FleetResult
 * @property {boolean} ok every line exactly once, no key collision, N prefixes, every daemon exited 0
 * @property {string[]} problems
 * @property {Required<Omit<FleetOptions, "log" | "keep" | "productDir">>} settings
 * @property {number} warmUpS until every daemon had shipped from every log
 * @property {number} writingS measured window: from the end of the warm-up to SIGTERM
 * @property {number} stopS from SIGTERM until the last daemon exited
 * @property {number} rotations
 * @property {import("./fleet/verifyFleet.mjs").FleetVerification} verification
 * @property {ReturnType<typeof putRates>} rates PutObject rates in the measured window
 * @property {number} putsAll every PutObject answered 200, warm-up and shutdown included
 * @property {number} s3LimitPerPrefix
 * @property {{ code: number | null, signal: string | null, warnings: number }[]} exits
 */

const BUCKET = "fleet-logs";
const PREFIX = "fleet/";
const TICK_MS = 50;
/** No rotation this close to SIGTERM: a file created in the last instant may not be watched yet, and would wait for the next start. */
const ROTATION_QUIET_S = 2;
/** Lines an application writes to the renamed file before it reopens its log. */
const LATE_LINES = 5;

/**
 * The slice of the product's FakeS3 the simulation uses.
 * @typedef {{
 *   endpoint: string,
 *   requests: readonly { at: Date, method: string, key?: string, status: number, accessKeyId?: string }[],
 *   listObjects(bucket: string, prefix?: string): { key: string, object: { body: Buffer, putCount: number, accessKeyId: string } }[],
 *   close(): Promise<void>,
 * }} S3
 * @typedef {{ start(options: { authority: { lookup(accessKeyId: string): unknown }, buckets: string[] }): Promise<S3> }} S3Class
 */

/** @param {string} productDir */
async function productModules(productDir) {
  const load = async (/** @type {string} */ path) => import(pathToFileURL(join(productDir, "dist", path)).href);
  try {
    const [{ FakeImds }, { FakeS3 }] = await Promise.all([load("fakes/imds/FakeImds.js"), load("fakes/s3/FakeS3.js")]);
    return { FakeImds: /** @type {import("./fleet/FleetHost.mjs").ImdsClass} */ (FakeImds), FakeS3: /** @type {S3Class} */ (FakeS3) };
  } catch (error) {
    throw new FleetUsageError(`${productDir} has no built product (dist/fakes): run npm run build first (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Resolves once `done()` holds; rejects after `timeoutMs`.
 * @param {() => boolean} done @param {number} timeoutMs @param {string} what
 */
async function waitUntil(done, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * N hosts ship at once to one S3 endpoint while their logs grow and rotate, then get SIGTERM.
 * @param {FleetOptions} options
 * @returns {Promise<FleetResult>}
 */
export async function simulateFleet(options) {
  const settings = {
    hosts: options.hosts,
    seconds: options.seconds,
    files: options.files ?? 2,
    rate: options.rate ?? 100,
    flushIntervalS: options.flushIntervalS ?? 1,
    rotateEveryS: options.rotateEveryS ?? 3,
    seed: options.seed ?? 1,
  };
  const log = options.log ?? (() => undefined);
  const productDir = options.productDir ?? fileURLToPath(new URL("..", import.meta.url));
  const { FakeImds, FakeS3 } = await productModules(productDir);
  const workDir = mkdtempSync(join(tmpdir(), "ship-logs-fleet-"));
  /** @type {FleetHost[]} */
  const hosts = [];
  /** @type {S3 | undefined} */
  let s3;
  try {
    // One endpoint trusts every host's credentials, as one bucket trusts every instance role session.
    s3 = await FakeS3.start({ authority: { lookup: (key) => hosts.map((host) => host.imds.lookup(key)).find((found) => found !== undefined) }, buckets: [BUCKET] });
    const endpoint = s3.endpoint;
    const cli = productCli(productDir);
    const started = await Promise.allSettled(
      Array.from({ length: settings.hosts }, (_, index) =>
        FleetHost.start({ index, FakeImds, workDir, cli, s3Endpoint: endpoint, bucket: BUCKET, prefix: PREFIX, files: settings.files, flushIntervalS: settings.flushIntervalS, seed: settings.seed }),
      ),
    );
    for (const outcome of started) if (outcome.status === "fulfilled") hosts.push(outcome.value);
    const failed = started.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    const listed = /** @type {S3} */ (s3);
    log(`fleet: ${settings.hosts} daemons × ${settings.files} logs, ${settings.rate} lines/s per log, --flush-interval ${settings.flushIntervalS}, rotation every ${settings.rotateEveryS} s, ${settings.seconds} s`);

    // Warm-up: a first line in every log, until every daemon has shipped from every log (all
    // files watched), so that no rotation renames a file before its daemon has seen it.
    const warmStart = performance.now();
    for (const host of hosts) for (const file of host.logs) file.append(1);
    const shippedFrom = () => new Set(listed.listObjects(BUCKET, PREFIX).map(({ key }) => key.split("/").slice(1, 4).filter((_, i) => i !== 1).join("/")));
    await waitUntil(
      () => {
        const seen = shippedFrom();
        return hosts.every((host) => host.logs.every((file) => seen.has(`${host.instanceId}/${file.name}`)));
      },
      60_000 + settings.hosts * 2_000 + settings.flushIntervalS * 1000,
      "every daemon to ship its first lines",
    );
    const warmUpS = (performance.now() - warmStart) / 1000;
    log(`warm-up: every daemon shipped from every log after ${fixed(warmUpS, 1)} s`);

    // Writing: each log at `rate` lines/s, rotations staggered over the fleet.
    const windowStart = Date.now();
    const t0 = performance.now();
    const logs = hosts.flatMap((host) => host.logs);
    const schedule = logs.map((file, i) => ({ file, base: file.written, nextRotationS: ((i + 0.5) / logs.length) * settings.rotateEveryS }));
    let rotations = 0;
    for (;;) {
      const elapsedS = (performance.now() - t0) / 1000;
      const endS = Math.min(elapsedS, settings.seconds);
      for (const entry of schedule) {
        const due = entry.base + Math.floor(endS * settings.rate) - entry.file.written;
        if (due > 0) entry.file.append(due);
        if (elapsedS >= entry.nextRotationS && elapsedS < settings.seconds - ROTATION_QUIET_S) {
          entry.file.rotate(LATE_LINES);
          entry.base += LATE_LINES;
          entry.nextRotationS += settings.rotateEveryS;
          rotations += 1;
        }
      }
      if (elapsedS >= settings.seconds) break;
      await sleep(TICK_MS);
    }
    for (const file of logs) file.close();

    const windowEnd = Date.now();
    log(`SIGTERM to ${hosts.length} daemons after ${logs.reduce((sum, file) => sum + file.written, 0)} lines and ${rotations} rotations`);
    const exits = await Promise.all(
      hosts.map(async (host) => {
        const exit = await host.stop();
        return { code: exit.code, signal: exit.signal, warnings: host.stderr.split("\n").filter((line) => line.trim() !== "").length };
      }),
    );
    const stopS = (Date.now() - windowEnd) / 1000;

    const verification = verifyFleet({ objects: listed.listObjects(BUCKET), requests: listed.requests, hosts: hosts.map((host) => host.record()), prefix: PREFIX });
    const writingS = (windowEnd - windowStart) / 1000;
    const inWindow = listed.requests.filter((request) => request.at.getTime() >= windowStart && request.at.getTime() <= windowEnd);
    const rates = putRates(inWindow, { depth: 2, spanS: writingS });
    const putsAll = putRates(listed.requests, { depth: 2, spanS: 1 }).total.puts;
    const problems = [...verification.problems];
    exits.forEach((exit, index) => {
      if (exit.code !== 0) problems.push(`${hosts[index]?.tag}: exit ${exit.code ?? exit.signal} after SIGTERM; stderr: ${hosts[index]?.stderr.slice(-400)}`);
    });
    return {
      ok: verification.ok && exits.every((exit) => exit.code === 0) && verification.instancePrefixes === settings.hosts,
      problems,
      settings,
      warmUpS,
      writingS,
      stopS,
      rotations,
      verification,
      rates,
      putsAll,
      s3LimitPerPrefix: S3_PUTS_PER_SECOND_PER_PREFIX,
      exits,
    };
  } finally {
    await Promise.allSettled(hosts.map((host) => host.close()));
    await s3?.close();
    if (options.keep) process.stderr.write(`fleet-sim: kept ${workDir}\n`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

/** @param {number} part @param {number} whole */
function percent(part, whole) {
  return `${fixed((part / whole) * 100, 3)} %`;
}

/** The report: per-prefix and total PUT rates against S3's per-prefix rate, then the checks. @param {FleetResult} result */
export function formatFleetReport(result) {
  const { rates, verification: v, s3LimitPerPrefix: limit } = result;
  const rows = rates.prefixes.map((p) => [p.prefix, String(p.puts), fixed(p.meanPerS, 2), String(p.peakPerS), percent(p.peakPerS, limit)]);
  rows.push(["all prefixes", String(rates.total.puts), fixed(rates.total.meanPerS, 2), String(rates.total.peakPerS), percent(rates.total.peakPerS, limit)]);
  const checks = [
    ["lines written / stored", `${v.linesWritten} / ${v.linesShipped}`],
    ["missing / duplicated lines", `${v.missing} / ${v.duplicated}`],
    ["objects (PUTs answered 200, all phases)", `${v.objects} (${result.putsAll})`],
    ["keys written twice, by two instances or under another's prefix", String(v.collisions)],
    ["instance prefixes with keys", `${v.instancePrefixes} of ${result.settings.hosts}`],
    ["rotations (rename + create)", String(result.rotations)],
    ["daemons exiting 0 after SIGTERM", `${result.exits.filter((exit) => exit.code === 0).length} of ${result.exits.length} (in ${fixed(result.stopS, 1)} s)`],
    ["log lines at warn or above", String(result.exits.reduce((sum, exit) => sum + exit.warnings, 0))],
  ];
  return [
    `PutObject rates over the ${fixed(result.writingS, 1)} s of writing (after a ${fixed(result.warmUpS, 1)} s warm-up), against S3's ${limit} PUT/s per prefix:`,
    "",
    formatTable(["prefix", "PUTs", "mean PUT/s", "peak PUT/s (1 s)", "peak / 3 500"], rows),
    "",
    formatTable(["check", "result"], checks),
    "",
    result.ok ? "OK: every line exactly once, no key collision, one prefix per instance" : `FAILED:\n${result.problems.map((p) => `  ${p}`).join("\n")}`,
    "",
  ].join("\n");
}

/** @param {readonly string[]} argv @returns {Promise<number>} */
async function main(argv) {
  const args = parseFleetArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const result = await simulateFleet({
    hosts: args.hosts,
    seconds: args.seconds,
    files: args.files,
    rate: args.rate,
    flushIntervalS: args.flushIntervalS,
    rotateEveryS: args.rotateEveryS,
    seed: args.seed,
    keep: args.keep,
    log: (text) => process.stdout.write(`${text}\n`),
  });
  process.stdout.write(formatFleetReport(result));
  if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify({ at: new Date().toISOString(), argv, ...result }, null, 2)}\n`);
  return result.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      if (error instanceof FleetUsageError) {
        process.stderr.write(`fleet-sim: ${error.message}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`fleet-sim: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
