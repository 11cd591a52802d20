import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { SPOOL_DIR, spoolContents } from "../sink/Spool.js";
import type { StateStore } from "../source/StateStore.js";
import { RUNTIME_STATUS_FILE, type RuntimeStatus } from "./RuntimeStatus.js";
import { bytesBehind } from "../source/bytesBehind.js";
import { isSameFile } from "../source/isSameFile.js";
import { isRuntimeStatus } from "./isRuntimeStatus.js";

/** A runtime status older than this means the daemon is not running (it writes every 5 s). */
const STALE_MS = 30_000;

export interface FileStatus {
  path: string;
  /**
   * following: the path still holds this file; moved: renamed or deleted
   * since; replaced: the path holds another file now; unreadable: the daemon
   * cannot open it (`code`), and none of it ships.
   */
  state: "following" | "moved" | "replaced" | "unreadable";
  /** Why an unreadable file cannot be opened (EACCES, …). */
  code?: string;
  /** Bytes acknowledged by S3. */
  shipped: number;
  size: number | undefined;
  bytesBehind: number | undefined;
  pendingUploads: number;
  lastUploadAt: string | undefined;
}

export interface StatusReport {
  stateDir: string;
  /**
   * running: status.json is fresh and its pid alive; alive: its pid is alive
   * (stale but alive: a daemon that cannot write its state dir, or hung).
   */
  daemon: (RuntimeStatus & { running: boolean; alive: boolean }) | undefined;
  /** Why there is no daemon although status.json exists: it is not a ship-logs status file. */
  runtimeProblem: string | undefined;
  files: FileStatus[];
  /** Batches a stop cancelled, kept to be sent at the next start: lines not in S3 yet, which their file may no longer hold. */
  spool: { batches: number; bytes: number };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (systemd's DynamicUser).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** What status.json says of the daemon, or why it says nothing. */
async function readRuntime(dir: string): Promise<Pick<StatusReport, "daemon" | "runtimeProblem">> {
  let text: string;
  try {
    text = await readFile(join(dir, RUNTIME_STATUS_FILE), "utf8");
  } catch {
    return { daemon: undefined, runtimeProblem: undefined };
  }
  let runtime: unknown;
  try {
    runtime = JSON.parse(text);
  } catch {
    runtime = undefined;
  }
  // Written by rename, never in part: what is not a status is something else's file.
  if (!isRuntimeStatus(runtime)) return { daemon: undefined, runtimeProblem: `${RUNTIME_STATUS_FILE} is not a ship-logs status file` };
  const fresh = Date.now() - Date.parse(runtime.updatedAt) < STALE_MS;
  const living = alive(runtime.pid);
  return { daemon: { ...runtime, running: fresh && living, alive: living }, runtimeProblem: undefined };
}

/** `ship-logs status`: what the state dir says, plus a stat of each file. No network. */
export async function buildStatusReport(store: StateStore): Promise<StatusReport> {
  const state = await store.load();
  const { daemon, runtimeProblem } = await readRuntime(store.dir);
  // What the running daemon follows, by identity (an older release's status.json has none).
  const followed = new Map((daemon?.running === true ? daemon.files : []).filter((lag) => lag.dev !== undefined).map((lag) => [identity(lag), lag]));
  const files = await Promise.all(
    state.files.map(async (checkpoint): Promise<FileStatus> => {
      const info = await stat(checkpoint.path, { bigint: true }).catch(() => undefined);
      const same = isSameFile(info, checkpoint);
      const size = same ? Number(info.size) : undefined;
      // A file rotated away or deleted has no path to stat; a running daemon
      // still reading it knows how far behind it is.
      const reading = followed.get(identity(checkpoint));
      return {
        path: checkpoint.path,
        state: same ? "following" : info ? "replaced" : "moved",
        shipped: checkpoint.offset,
        size,
        bytesBehind: size === undefined ? reading?.bytesBehind : bytesBehind(size, checkpoint.offset),
        pendingUploads: checkpoint.pending.length,
        lastUploadAt: checkpoint.lastUploadAt,
      };
    }),
  );
  // A file the daemon follows gets its checkpoint with its first batch, up to
  // a flush interval after its first line: until then only the daemon knows
  // it, and a drain script summing BEHIND must see its lines.
  const checkpointed = new Set(state.files.map(identity));
  for (const [key, lag] of followed) {
    if (checkpointed.has(key)) continue;
    const state = lag.detached ? "moved" : "following";
    files.push({ path: lag.path, state, shipped: 0, size: undefined, bytesBehind: lag.bytesBehind, pendingUploads: 0, lastUploadAt: undefined });
  }
  // A file the daemon cannot open has no checkpoint and ships nothing: all
  // of it is behind, and a drain script must not take it for shipped.
  const listed = new Set(files.map((file) => file.path));
  for (const file of daemon?.running === true ? (daemon.unreadable ?? []) : []) {
    if (listed.has(file.path)) continue;
    files.push({ path: file.path, state: "unreadable", code: file.code, shipped: 0, size: file.size, bytesBehind: file.size, pendingUploads: 0, lastUploadAt: undefined });
  }
  const spool = await spoolContents(join(store.dir, SPOOL_DIR));
  return { stateDir: store.dir, daemon, runtimeProblem, files: files.sort((a, b) => a.path.localeCompare(b.path)), spool };
}

function identity(file: { dev: string; ino: string }): string {
  return `${file.dev}:${file.ino}`;
}
