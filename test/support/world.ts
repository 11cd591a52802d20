import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import type { FakeImdsOptions } from "../../src/fakes/imds/FakeImdsOptions.js";
import { FakeS3 } from "../../src/fakes/s3/FakeS3.js";
import type { FakeS3Options } from "../../src/fakes/s3/FakeS3Options.js";

/**
 * The built CLI: end-to-end tests run the real binary (`npm test` builds first).
 * SHIP_LOGS_E2E_CLI points them at another build (e.g. an instrumented copy while debugging).
 */
export const CLI = process.env.SHIP_LOGS_E2E_CLI ?? fileURLToPath(new URL("../../dist/cli/bin.cjs", import.meta.url));
export const FAKE_IMDS_CLI = fileURLToPath(new URL("../../dist/cli/fakeImds.js", import.meta.url));

export const BUCKET = "test-logs";

/** One test's universe: a fake IMDS, a signature-checking S3 trusting it, and a scratch directory. */
export interface World {
  imds: FakeImds;
  s3: FakeS3;
  dir: string;
  logs: string;
  state: string;
  close(): Promise<void>;
}

export interface WorldOptions {
  imds?: FakeImdsOptions;
  /** E.g. `now` for a server clock that differs from the host's. */
  s3?: Omit<FakeS3Options, "authority" | "buckets">;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const imds = await FakeImds.start({ region: "eu-west-1", ...options.imds });
  // The instance's region, as a real bucket there checks: a request signed for
  // another region is refused (AuthorizationHeaderMalformed), not taken.
  const s3 = await FakeS3.start({ region: options.imds?.region ?? "eu-west-1", ...options.s3, authority: imds, buckets: [BUCKET] });
  const dir = await mkdtemp(join(tmpdir(), "ship-logs-test-"));
  const logs = join(dir, "logs");
  await mkdir(logs);
  return {
    imds,
    s3,
    dir,
    logs,
    state: join(dir, "state"),
    async close() {
      await s3.close();
      await imds.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The flags every run needs to find the fakes; extra flags go after (and win on repeat-free options). */
export function baseArgs(world: World, watch: string = join(world.logs, "*.log")): string[] {
  return [
    "--watch", watch,
    "--bucket", BUCKET,
    "--endpoint", world.s3.endpoint,
    "--imds-endpoint", world.imds.endpoint,
    "--state-dir", world.state,
  ];
}

/** An environment without the caller's AWS settings, so only the fakes can answer. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("AWS_") && !key.startsWith("SHIP_LOGS_") && key !== "STATE_DIRECTORY") env[key] = value;
  }
  return { ...env, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<RunResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const out = collect(child);
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  await out.done;
  return { code, signal, stdout: out.stdout(), stderr: out.stderr() };
}

function collect(child: ChildProcess): { stdout(): string; stderr(): string; done: Promise<void> } {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  const done = Promise.all([
    child.stdout ? once(child.stdout, "end").catch(() => undefined) : undefined,
    child.stderr ? once(child.stderr, "end").catch(() => undefined) : undefined,
  ]).then(() => undefined);
  return { stdout: () => Buffer.concat(stdout).toString("utf8"), stderr: () => Buffer.concat(stderr).toString("utf8"), done };
}

/** A daemon under test: its output so far, a way to wait for a log line, and to stop or kill it. */
export interface DaemonProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<RunResult>;
}

export function startDaemon(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): DaemonProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const out = collect(child);
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    stdout: out.stdout,
    stderr: out.stderr,
    waitForLog: (pattern, timeoutMs = 20_000) =>
      waitFor(() => pattern.test(out.stderr()), timeoutMs, `log line ${pattern} (stderr so far: ${out.stderr().slice(-2000)})`),
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code, sig] = await exited;
      await out.done;
      return { code, signal: sig, stdout: out.stdout(), stderr: out.stderr() };
    },
  };
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every line stored in the bucket, per source file name (from the key), in key order (= file order per source id). */
export function linesInS3(world: World, prefix = ""): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const { key, object } of world.s3.listObjects(BUCKET, prefix)) {
    const body = key.endsWith(".gz") ? gunzipSync(object.body) : object.body;
    const text = body.toString("utf8");
    const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
    const file = fileNameOfKey(key);
    byFile.set(file, [...(byFile.get(file) ?? []), ...lines]);
  }
  return byFile;
}

/** The source file's name, the key's second-to-last segment (default layout) or its `file=` segment (hive). */
export function fileNameOfKey(key: string): string {
  const parts = key.split("/");
  const segment = parts[parts.length - 2] ?? "";
  return segment.startsWith("file=") ? segment.slice(5) : basename(segment);
}

/** Every secret fake-imds ever issued: what must never appear in output or state. */
export function issuedSecrets(world: World): string[] {
  return world.imds.issuedCredentials().flatMap((credential) => [credential.secretAccessKey, credential.sessionToken].filter((s) => s.length > 0));
}

/** One stored object of the default or hive layout, split into the parts its key is made of. */
export interface ShippedObject {
  key: string;
  sourceId: string;
  start: number;
  end: number;
  lines: string[];
  putCount: number;
}

const OBJECT_NAME = /([0-9a-f]+)-(\d{15})-(\d{15})\.log(\.gz)?$/;

/** Every object under `prefix`, parsed; throws on a key that does not follow the layout. */
export function shippedObjects(world: World, prefix = ""): ShippedObject[] {
  return world.s3.listObjects(BUCKET, prefix).map(({ key, object }) => {
    const match = OBJECT_NAME.exec(key);
    if (!match) throw new Error(`object key ${key} does not end in <sourceId>-<start>-<end>.log[.gz]`);
    const body = (key.endsWith(".gz") ? gunzipSync(object.body) : object.body).toString("utf8");
    return {
      key,
      sourceId: match[1] as string,
      start: Number(match[2]),
      end: Number(match[3]),
      lines: body === "" ? [] : body.replace(/\n$/, "").split("\n"),
      putCount: object.putCount,
    };
  });
}

/**
 * Lines per source id, objects ordered by byte range. Grouping by source id
 * (not by file name) follows one file identity across a rename: its later
 * objects may carry the rotated name.
 */
export function linesBySource(world: World, prefix = ""): Map<string, string[]> {
  const bySource = new Map<string, ShippedObject[]>();
  for (const object of shippedObjects(world, prefix)) {
    bySource.set(object.sourceId, [...(bySource.get(object.sourceId) ?? []), object]);
  }
  const lines = new Map<string, string[]>();
  for (const [sourceId, objects] of bySource) {
    lines.set(sourceId, objects.sort((a, b) => a.start - b.start).flatMap((object) => object.lines));
  }
  return lines;
}

/** Does process `pid` hold `path`'s current file open? (Linux: follows /proc/PID/fd.) */
export async function processHoldsOpen(pid: number, path: string): Promise<boolean> {
  const target = await stat(path).catch(() => undefined);
  if (!target) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const info = await stat(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
    if (info && info.isFile() && info.dev === target.dev && info.ino === target.ino) return true;
  }
  return false;
}

/** CPU time (user + system) a process has used, in seconds (Linux: /proc/PID/stat, clock ticks of 1/100 s). */
export async function cpuSeconds(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name, which may itself hold spaces.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / 100;
}

/** A checkpoint as state.json saves it: the fields tests look at. */
export interface SavedCheckpoint {
  sourceId: string;
  path: string;
  dev: string;
  ino: string;
  offset: number;
}

/** The checkpoints in the saved state; none before the daemon first saves it. */
export async function savedCheckpoints(world: World): Promise<SavedCheckpoint[]> {
  const text = await readFile(join(world.state, "state.json"), "utf8").catch(() => undefined);
  return text === undefined ? [] : (JSON.parse(text) as { files: SavedCheckpoint[] }).files;
}

/**
 * The offset S3 has acknowledged for the file now at `path` (matched by inode,
 * since rotated files may keep the path in their checkpoint for a while), from
 * the saved state; 0 when it has no checkpoint yet. Once it is > 0, the
 * daemon also knows the file's shipped head (its fingerprint).
 */
export async function acknowledgedOffset(world: World, path: string): Promise<number> {
  const [files, info] = await Promise.all([savedCheckpoints(world), stat(path, { bigint: true }).catch(() => undefined)]);
  if (info === undefined) return 0;
  const checkpoint = files.find((file) => file.dev === info.dev.toString() && file.ino === info.ino.toString());
  return checkpoint?.offset ?? 0;
}
