import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { chmod, chown, mkdir, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { BUCKET, CLI, cleanEnv, fileNameOfKey, waitFor, type DaemonProcess, type World } from "../support/world.js";

/** Shared by the hostile.*.test.ts files (issue 7). */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every object's decompressed bytes for one source file name, in key order (= byte order per source id). */
export function bytesInS3(world: World, fileName: string, prefix = ""): Buffer {
  return Buffer.concat(objectBodies(world, fileName, prefix));
}

/** Each object's decompressed bytes for one source file name, in key order. */
export function objectBodies(world: World, fileName: string, prefix = ""): Buffer[] {
  return world.s3
    .listObjects(BUCKET, prefix)
    .filter(({ key }) => fileNameOfKey(key) === fileName)
    .map(({ key, object }) => (key.endsWith(".gz") ? gunzipSync(object.body) : object.body));
}

/** Objects written more than once (an exactly-once run has none). */
export function rewrittenObjects(world: World): string[] {
  return world.s3
    .listObjects(BUCKET)
    .filter(({ object }) => object.putCount !== 1)
    .map(({ key, object }) => `${key} x${object.putCount}`);
}

/** Open descriptors of a live process (Linux /proc); 0 once it is gone. */
export async function openDescriptors(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])).length;
}

/**
 * Permission bits only stop a process that is not root. Under root (CI containers,
 * this sandbox) the daemon is run as `nobody` through setpriv(1); as any other user
 * it runs as itself. Undefined when neither works: such tests are skipped.
 */
export interface Unprivileged {
  /** The command prefix, e.g. `setpriv --reuid=nobody …`, or [] when the tests already run unprivileged. */
  prefix: string[];
  uid: number;
  gid: number;
}

function findUnprivileged(): Unprivileged | undefined {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return undefined;
  if (uid !== 0) return { prefix: [], uid, gid };
  try {
    const nobodyUid = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }).trim());
    const nobodyGid = Number(execFileSync("id", ["-g", "nobody"], { encoding: "utf8" }).trim());
    const prefix = ["setpriv", `--reuid=${nobodyUid}`, `--regid=${nobodyGid}`, "--clear-groups"];
    execFileSync(prefix[0] as string, [...prefix.slice(1), process.execPath, "-e", "process.getuid() === 0 && process.exit(1)"]);
    return { prefix, uid: nobodyUid, gid: nobodyGid };
  } catch {
    return undefined;
  }
}

export const unprivileged = findUnprivileged();

/**
 * Lets the unprivileged user work in the world: enter its scratch dir, read the logs,
 * own the state dir (created here, as the daemon would own /var/lib/ship-logs).
 */
export async function shareWorld(world: World, user: Unprivileged): Promise<void> {
  await chmod(world.dir, 0o755);
  await chmod(world.logs, 0o755);
  await mkdir(world.state, { recursive: true, mode: 0o700 });
  await chown(world.state, user.uid, user.gid);
}

/** Like world.ts's startDaemon, but as `user` (see Unprivileged). */
export function startDaemonAs(user: Unprivileged, args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): DaemonProcess {
  const [command, ...prefixArgs] = [...user.prefix, process.execPath];
  const child = spawn(command as string, [...prefixArgs, CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  const ended = Promise.all([once(child.stdout, "end"), once(child.stderr, "end")]).catch(() => undefined);
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const text = (chunks: Buffer[]) => () => Buffer.concat(chunks).toString("utf8");
  return {
    child,
    stdout: text(stdout),
    stderr: text(stderr),
    waitForLog: (pattern, timeoutMs = 20_000) =>
      waitFor(() => pattern.test(text(stderr)()), timeoutMs, `log line ${pattern} (stderr so far: ${text(stderr)().slice(-2000)})`),
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code, sig] = await exited;
      await ended;
      return { code, signal: sig, stdout: text(stdout)(), stderr: text(stderr)() };
    },
  };
}

/** Can this process mount (a tmpfs, a read-only bind)? Root in a container often cannot. */
export function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), "ship-logs-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Like world.ts's startDaemon, under a shell resource limit: `-f 16` (file size, KiB), `-n 512` (open files; `-Hn` hard). */
export function startDaemonWithUlimit(limit: string, args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): DaemonProcess {
  return startDaemonAs({ prefix: ["bash", "-c", `ulimit ${limit} && exec "$@"`, "bash"], uid: -1, gid: -1 }, args, env);
}
