import { readFile } from "node:fs/promises";

/** Followed files that hold a descriptor, at most (systemd's default soft limit is 1 024). */
export const MAX_OPEN_FILES = 512;

/**
 * Descriptors left for everything but followed files: sockets to S3 and IMDS
 * (4 uploads, the SDK's pool, the metrics server), state, spool and
 * status.json writes, the lock, the file watcher, files opened for a moment to
 * be attached, searched for after a rotation or read as a copytruncate's copy,
 * and Node's own (stdio, the event loop). The soak peaked at ~30 of them.
 */
const RESERVED_DESCRIPTORS = 128;

/** Below this, followed files are too few to be of use: a limit this low is better raised than obeyed. */
const MIN_OPEN_FILES = 16;

/**
 * The process's soft limit on open files (RLIMIT_NOFILE), as Linux shows it in
 * /proc/self/limits (Node has no getrlimit); undefined where it cannot be read
 * (another OS) and for "unlimited".
 */
export async function openFilesLimit(limitsFile = "/proc/self/limits"): Promise<number | undefined> {
  const text = await readFile(limitsFile, "utf8").catch(() => "");
  const soft = /^Max open files\s+(\d+)\s/m.exec(text)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

/**
 * How many followed files may hold a descriptor under a soft limit of
 * `limit`: 512, or fewer where the limit leaves less than the reserve beside
 * them. A fixed 512 under `ulimit -n 512` opened every descriptor on files and
 * the first state save failed with EMFILE.
 */
export function openFilesCap(limit: number | undefined): number {
  if (limit === undefined) return MAX_OPEN_FILES;
  return Math.min(MAX_OPEN_FILES, Math.max(MIN_OPEN_FILES, limit - RESERVED_DESCRIPTORS));
}
