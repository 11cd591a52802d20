#!/usr/bin/env node
// @ts-check
// The long run of issue 7: `node bench/soak.mjs [--minutes N] [--json FILE] [--keep]`
// (`npm run soak -- --minutes N`). Never part of `npm test`.
//
// The real CLI runs as a daemon for N minutes (default 10) against the product's own
// fake IMDS and signature-checking fake S3 (from dist/), while
//   - three files are written continuously (steady, wide lines, bursts),
//   - every 10 s each is rotated (rename + create; the writer still appends a few
//     lines to the renamed file before it reopens, as real applications do; the
//     seventh-oldest rotated file is deleted, as logrotate's `rotate 6` would),
//   - credentials live 15 s and a new set appears 5 s before expiry,
//   - S3 misbehaves once a minute (503 storm, connection resets, 500 storm,
//     stalls past --request-timeout, AccessDenied), in turn.
// RSS and open descriptors are sampled every 5 s. At the end the writers stop and
// every complete line written must be in S3 exactly once: exit 0 then, else 1.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, createWriteStream, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { productCli } from "./lib/productCommand.mjs";

// The product's SDK prints a Node-version notice on Node 20; this run's output is a report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const DIST = new URL("../dist/", import.meta.url);
const BUCKET = "soak-logs";
const SAMPLE_EVERY_MS = 5_000;
const ROTATE_EVERY_MS = 10_000;
const FAULT_EVERY_MS = 60_000;
/** The first fault comes half a minute in, so the first minute also shows the quiet baseline. */
const FIRST_FAULT_AT_MS = 30_000;
const KEEP_ROTATED = 6;
const WRITE_TICK_MS = 100;
/** How long the shipper may take, after the writers stop, to deliver the rest (one capped backoff and more). */
const DRAIN_TIMEOUT_MS = 150_000;

const USAGE = `usage: node bench/soak.mjs [--minutes N] [--json FILE] [--keep]
  --minutes N   how long the writers run (default 10; fractions allowed)
  --json FILE   also write the samples and the verdict as JSON
  --keep        keep the scratch directory (logs, state, daemon log)
`;

/**
 * A stream of lines whose content is a pure function of (name, sequence number), so
 * the check at the end needs no copy of what was written.
 * @typedef {{ name: string, path: string, fd: number, written: number, generation: number, perTick: (tick: number) => number }} Stream
 */

/** @param {string} name @param {number} seq */
function lineOf(name, seq) {
  const width = name === "access" ? 160 : 40;
  return `${name} ${String(seq).padStart(9, "0")} k=${((seq * 2654435761) % 1_000_000_007).toString(36)} ${"x".repeat(width + (seq % 37))}`;
}

/** @param {Stream} stream @param {number} count */
function writeLines(stream, count) {
  let text = "";
  for (let i = 0; i < count; i += 1) text += `${lineOf(stream.name, stream.written + i)}\n`;
  if (count > 0) writeSync(stream.fd, text);
  stream.written += count;
}

/**
 * Rename + create. The old descriptor takes two more lines after the rename (an
 * application that reopens on SIGHUP), then the writer moves to the new file.
 * @param {Stream} stream
 */
function rotate(stream) {
  stream.generation += 1;
  renameSync(stream.path, `${stream.path}.${stream.generation}`);
  writeLines(stream, 2);
  closeSync(stream.fd);
  stream.fd = openSync(stream.path, "a");
  const expired = `${stream.path}.${stream.generation - KEEP_ROTATED}`;
  try {
    unlinkSync(expired);
  } catch {
    // not there yet
  }
}

/** @type {ReadonlyArray<{ name: string, fault: Record<string, unknown>, clearAfterMs?: number }>} */
const FAULTS = [
  { name: "503 SlowDown for 15 s", fault: { kind: "error", status: 503, code: "SlowDown", forMs: 15_000 } },
  { name: "connection reset, 6 requests", fault: { kind: "reset", times: 6 } },
  { name: "500 InternalError for 15 s", fault: { kind: "error", status: 500, code: "InternalError", forMs: 15_000 } },
  { name: "stall 5 s (> --request-timeout 2), 4 requests", fault: { kind: "stall", forMs: 5_000, times: 4 } },
  { name: "AccessDenied for 10 s", fault: { kind: "deny" }, clearAfterMs: 10_000 },
];

/** @param {number} pid */
function sample(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return { rssKiB, fds };
  } catch {
    return undefined;
  }
}

/** @param {readonly number[]} values */
function sparkline(values) {
  const bars = "▁▂▃▄▅▆▇█";
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.map((v) => bars[max === min ? 0 : Math.round(((v - min) / (max - min)) * (bars.length - 1))]).join("");
}

/** @param {number} kib */
const mib = (kib) => (kib / 1024).toFixed(1);

/**
 * Every line of every object: is each written line there exactly once, and does each
 * object hold consecutive lines of one stream?
 * @param {{ listObjects(bucket: string): Array<{ key: string, object: { body: Buffer, putCount: number } }> }} s3
 * @param {readonly Stream[]} streams
 */
function verify(s3, streams) {
  /** @type {Map<string, Uint8Array>} */
  const seen = new Map(streams.map((s) => [s.name, new Uint8Array(s.written)]));
  const strays = [];
  const disorder = [];
  let objects = 0;
  let rewritten = 0;
  let lines = 0;
  for (const { key, object } of s3.listObjects(BUCKET)) {
    objects += 1;
    if (object.putCount > 1) rewritten += 1;
    const text = (key.endsWith(".gz") ? gunzipSync(object.body) : object.body).toString("utf8");
    let previous;
    for (const line of text.replace(/\n$/, "").split("\n")) {
      lines += 1;
      const [name = "", digits = ""] = line.split(" ", 2);
      const seq = Number(digits);
      const counts = seen.get(name);
      if (counts === undefined || !Number.isInteger(seq) || seq >= counts.length || line !== lineOf(name, seq)) {
        strays.push(`${key}: ${line.slice(0, 60)}`);
        continue;
      }
      counts[seq] = Math.min(255, (counts[seq] ?? 0) + 1);
      if (previous !== undefined && (previous.name !== name || previous.seq + 1 !== seq)) disorder.push(key);
      previous = { name, seq };
    }
  }
  const perStream = streams.map((s) => {
    const counts = seen.get(s.name) ?? new Uint8Array();
    let missing = 0;
    let duplicated = 0;
    let firstMissing;
    counts.forEach((c, seq) => {
      if (c === 0) {
        missing += 1;
        firstMissing ??= seq;
      } else if (c > 1) duplicated += 1;
    });
    return { name: s.name, written: s.written, missing, duplicated, firstMissing };
  });
  const ok = strays.length === 0 && disorder.length === 0 && perStream.every((s) => s.missing === 0 && s.duplicated === 0);
  return { ok, objects, rewritten, lines, strays: strays.slice(0, 5), disorder: [...new Set(disorder)].slice(0, 5), perStream };
}

/** @param {string} dir @returns {Array<{ path: string, mode: string }>} */
function modesUnder(dir) {
  const entries = [{ path: dir, mode: (statSync(dir).mode & 0o777).toString(8) }];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    entries.push({ path, mode: (statSync(path).mode & 0o777).toString(8) });
  }
  return entries;
}

/** @param {readonly string[]} argv */
async function main(argv) {
  const { values } = parseArgs({
    args: [...argv],
    options: { minutes: { type: "string" }, json: { type: "string" }, keep: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const minutes = values.minutes === undefined ? 10 : Number(values.minutes);
  if (!(minutes > 0)) {
    process.stderr.write(`soak: --minutes must be a positive number, not ${values.minutes}\n${USAGE}`);
    return 2;
  }
  const cli = productCli(fileURLToPath(new URL("..", import.meta.url)));
  try {
    statSync(cli);
  } catch {
    process.stderr.write(`soak: ${cli} is missing: run npm run build first (npm run soak does)\n`);
    return 2;
  }
  const { FakeImds } = await import(new URL("fakes/imds/FakeImds.js", DIST).href);
  const { FakeS3 } = await import(new URL("fakes/s3/FakeS3.js", DIST).href);

  const imds = await FakeImds.start({ region: "eu-west-1", credentialLifetimeSeconds: 15, rotateBeforeSeconds: 5 });
  const s3 = await FakeS3.start({ authority: imds, buckets: [BUCKET] });
  const work = mkdtempSync(join(tmpdir(), "ship-logs-soak-"));
  const logs = join(work, "logs");
  const state = join(work, "state");
  mkdirSync(logs);
  const daemonLog = join(work, "daemon.log");

  /** @type {Stream[]} */
  const streams = [
    // steady, ~100 lines/s
    { name: "app", perTick: () => 10 },
    // wider lines, ~50 lines/s
    { name: "access", perTick: () => 5 },
    // quiet, then 2 000 lines at once every 5 s
    { name: "worker", perTick: (/** @type {number} */ tick) => (tick % 50 === 0 ? 2_000 : 0) },
  ].map((s) => {
    const path = join(logs, `${s.name}.log`);
    return { ...s, path, fd: openSync(path, "a"), written: 0, generation: 0 };
  });

  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_") && !name.startsWith("SHIP_LOGS_")));
  const args = [
    cli,
    "--watch", join(logs, "*.log"),
    "--bucket", BUCKET,
    "--endpoint", s3.endpoint,
    "--imds-endpoint", imds.endpoint,
    "--state-dir", state,
    "--flush-interval", "2",
    "--request-timeout", "2",
    "--log-level", "info",
  ];
  const daemon = spawn(process.execPath, args, {
    env: { ...env, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const pid = /** @type {number} */ (daemon.pid);
  const logFile = createWriteStream(daemonLog);
  /** @type {Buffer[]} */
  const stderr = [];
  daemon.stderr.on("data", (/** @type {Buffer} */ chunk) => {
    stderr.push(chunk);
    logFile.write(chunk);
  });
  const exited = /** @type {Promise<[number | null, string | null]>} */ (once(daemon, "exit"));

  const t0 = Date.now();
  const durationMs = minutes * 60_000;
  process.stdout.write(`soak: ${minutes} min, daemon pid ${pid}, scratch ${work}\n`);

  /** @type {Array<{ t: number, rssKiB: number, fds: number, written: number, objects: number }>} */
  const samples = [];
  /** @type {Array<{ t: number, name: string }>} */
  const faults = [];
  let tick = 0;
  const writer = setInterval(() => {
    for (const stream of streams) writeLines(stream, stream.perTick(tick));
    tick += 1;
  }, WRITE_TICK_MS);
  const rotator = setInterval(() => streams.forEach(rotate), ROTATE_EVERY_MS);
  const sampler = setInterval(() => {
    const now = sample(pid);
    if (now === undefined) return;
    const written = streams.reduce((sum, s) => sum + s.written, 0);
    samples.push({ t: Math.round((Date.now() - t0) / 1000), ...now, written, objects: s3.listObjects(BUCKET).length });
    const last = samples[samples.length - 1];
    if (last && last.t % 60 < 5) process.stdout.write(`  t=${last.t}s rss=${mib(last.rssKiB)} MiB fds=${last.fds} written=${written} objects=${last.objects}\n`);
  }, SAMPLE_EVERY_MS);
  /** @type {NodeJS.Timeout[]} */
  const faultTimers = [];
  for (let at = FIRST_FAULT_AT_MS, i = 0; at < durationMs; at += FAULT_EVERY_MS, i += 1) {
    const planned = FAULTS[i % FAULTS.length];
    if (planned === undefined) continue;
    faultTimers.push(
      setTimeout(() => {
        faults.push({ t: Math.round((Date.now() - t0) / 1000), name: planned.name });
        s3.injectFault(planned.fault);
        if (planned.clearAfterMs !== undefined) faultTimers.push(setTimeout(() => s3.clearFaults(), planned.clearAfterMs));
      }, at),
    );
  }

  const daemonDied = exited.then(([code, signal]) => `daemon exited early: code ${code} signal ${signal}`);
  const finished = await Promise.race([new Promise((resolve) => setTimeout(() => resolve(undefined), durationMs)), daemonDied]);
  clearInterval(writer);
  clearInterval(rotator);
  for (const stream of streams) closeSync(stream.fd);
  const totalWritten = streams.reduce((sum, s) => sum + s.written, 0);

  // Let the last fault lapse, then wait for the shipper to deliver everything.
  const drainStart = Date.now();
  let verdict = verify(s3, streams);
  while (finished === undefined && !verdict.ok && Date.now() - drainStart < DRAIN_TIMEOUT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    verdict = verify(s3, streams);
  }
  const drainSeconds = Math.round((Date.now() - drainStart) / 1000);
  clearInterval(sampler);
  faultTimers.forEach(clearTimeout);
  s3.clearFaults();
  if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill("SIGTERM");
  const [code, signal] = await exited;
  await new Promise((resolve) => logFile.end(resolve));

  const log = Buffer.concat(stderr).toString("utf8");
  const records = log.split("\n").filter((line) => line.startsWith("{")).map((line) => /** @type {{ level: number, msg: string }} */ (JSON.parse(line)));
  /** @type {Record<string, number>} */
  const byMessage = {};
  for (const record of records) if (record.level >= 40 || /succeed again|rotated or deleted|credentials refreshed/.test(record.msg)) {
    const key = `${record.level >= 50 ? "error" : record.level >= 40 ? "warn" : "info"}: ${record.msg.replace(/s3:\/\/\S+/g, "s3://…")}`;
    byMessage[key] = (byMessage[key] ?? 0) + 1;
  }
  const secrets = imds.issuedCredentials().flatMap((/** @type {{ secretAccessKey: string, sessionToken: string }} */ c) => [c.secretAccessKey, c.sessionToken]);
  const stateText = readdirSync(state).map((name) => readFileSync(join(state, name), "latin1")).join("\n");
  const leaks = secrets.filter((/** @type {string} */ secret) => secret.length > 0 && (log.includes(secret) || stateText.includes(secret))).length;
  const modes = modesUnder(state);
  const looseModes = modes.filter(({ path, mode }) => mode !== (path === state ? "700" : "600"));

  const rss = samples.map((s) => s.rssKiB);
  const perMinute = [];
  for (let m = 0; m * 60 < (samples.at(-1)?.t ?? 0); m += 1) {
    const inMinute = samples.filter((s) => s.t > m * 60 && s.t <= (m + 1) * 60);
    if (inMinute.length === 0) continue;
    perMinute.push({
      minute: m + 1,
      minMiB: mib(Math.min(...inMinute.map((s) => s.rssKiB))),
      meanMiB: mib(inMinute.reduce((sum, s) => sum + s.rssKiB, 0) / inMinute.length),
      maxMiB: mib(Math.max(...inMinute.map((s) => s.rssKiB))),
      maxFds: Math.max(...inMinute.map((s) => s.fds)),
      fault: faults.find((f) => f.t > m * 60 && f.t <= (m + 1) * 60)?.name ?? "",
    });
  }
  const ok = finished === undefined && verdict.ok && code === 0 && leaks === 0 && looseModes.length === 0;

  const report = [
    `## Soak run ${new Date(t0).toISOString()}`,
    "",
    `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}; ${minutes} min of writes, then ${drainSeconds} s to drain`,
    `writes: ${streams.map((s) => `${s.name}.log ${s.written} lines`).join(", ")} (${totalWritten} in all), rotated every 10 s (${streams[0]?.generation ?? 0} times each)`,
    `credentials: ${imds.issuedCredentials().length} sets issued (15 s lifetime, new set 5 s before expiry)`,
    `S3 faults: ${faults.map((f) => `${f.t}s ${f.name}`).join("; ") || "none"}`,
    `S3: ${s3.requests.length} requests, ${s3.rejected().length} rejected (${[...new Set(s3.rejected().map((/** @type {{ errorCode?: string }} */ r) => r.errorCode))].join(", ")})`,
    "",
    `**Result: ${ok ? "PASS" : "FAIL"}** — ${verdict.lines} lines in ${verdict.objects} objects; ` +
      verdict.perStream.map((s) => `${s.name}: ${s.missing} missing, ${s.duplicated} duplicated`).join("; ") +
      `; objects written more than once: ${verdict.rewritten}; strays: ${verdict.strays.length}; out of order: ${verdict.disorder.length}; ` +
      `daemon exit ${code}${signal ? ` (${signal})` : ""}${finished ? ` — ${finished}` : ""}; secrets in log/state: ${leaks}; ` +
      `state modes: ${modes.map((m) => `${m.path === state ? "dir" : m.path.slice(state.length + 1)} ${m.mode}`).join(", ")}`,
    "",
    `RSS every 5 s (${mib(Math.min(...rss))}–${mib(Math.max(...rss))} MiB): ${sparkline(rss)}`,
    "",
    "| minute | RSS min | mean | max (MiB) | max fds | fault that minute |",
    "|---:|---:|---:|---:|---:|---|",
    ...perMinute.map((m) => `| ${m.minute} | ${m.minMiB} | ${m.meanMiB} | ${m.maxMiB} | ${m.maxFds} | ${m.fault} |`),
    "",
    "Daemon log lines (warn and above, plus recoveries):",
    "",
    ...Object.entries(byMessage).map(([message, count]) => `- ${count} × ${message}`),
    ...(verdict.strays.length > 0 ? ["", "Strays:", ...verdict.strays.map((s) => `- ${s}`)] : []),
    ...(verdict.disorder.length > 0 ? ["", "Out of order:", ...verdict.disorder.map((s) => `- ${s}`)] : []),
    ...verdict.perStream.filter((s) => s.firstMissing !== undefined).map((s) => `- ${s.name}: first missing line ${s.firstMissing}`),
    "",
  ].join("\n");
  process.stdout.write(`${report}\n`);
  if (values.json !== undefined) {
    writeFileSync(values.json, `${JSON.stringify({ ok, minutes, drainSeconds, faults, samples, verdict, byMessage, exit: { code, signal } }, null, 2)}\n`);
  }
  await s3.close();
  await imds.close();
  if (values.keep || !ok) process.stdout.write(`scratch kept: ${work} (daemon log: ${daemonLog})\n`);
  else rmSync(work, { recursive: true, force: true });
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
