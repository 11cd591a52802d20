import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { constants, mkdir, open, stat, unlink, type FileHandle } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { join, resolve } from "node:path";

/** Another ship-logs process holds the state dir. */
export class StateDirBusyError extends Error {
  override readonly name = "StateDirBusyError";
}

/** Says, at warn, that the lock name is taken by something else than a ship-logs of this user. */
export type LockWarning = (fields: Record<string, unknown>, message: string) => void;

/** The second lock, a socket file in the state dir. */
export const LOCK_SOCKET = "lock.sock";

/** sun_path is 108 bytes; Node 20 silently binds a longer path cut short, somewhere else. */
const MAX_SOCKET_PATH = 107;

/**
 * One shipper per state dir. Two (a cron `--once` beside the daemon, two
 * daemons given the same --state-dir) would each load the state, give a new
 * file a source id of its own and ship it under both, and each save would
 * drop the other's checkpoints.
 *
 * The lock is a socket in Linux's abstract namespace, named after the
 * directory's device and inode: the kernel lets go of it when the process
 * ends, however it ends, so a crash never leaves a stale lock file to clear by
 * hand. Named after the directory itself, not its path: two names for one
 * directory share it, and two containers on the host's network, each with a
 * volume of its own at the same path, do not. It holds per network namespace,
 * which a systemd unit shares with the host unless it sets PrivateNetwork=.
 * Held until the process exits; it never keeps it alive.
 *
 * An abstract name has no permissions, and /proc/net/unix shows it to every
 * user: anyone may take it while it is free (at a restart) and keep every
 * later start out. So a name already taken is not believed: the process that
 * holds it is looked up in /proc (findHolder), and only one of this user's
 * (or the directory owner's) that runs this same program is a ship-logs to
 * give way to. Anything else is a
 * squatter: said at warn, and the run locks with a socket file in the state
 * dir instead (holdSocketFile), which only the directory's owner can create.
 * Every run holds that file as well, so a run locked by it alone and one that
 * got the abstract name after the squatter left still exclude each other.
 *
 * Resolves with undefined once held; with the reason when no lock could be
 * had for another cause than a holder (not Linux, a sandbox without AF_UNIX,
 * a squatted name and no socket file to fall back on): the shipper then runs
 * unlocked, as before. Throws StateDirBusyError.
 */
export async function lockStateDir(dir: string, warn: LockWarning): Promise<string | undefined> {
  if (process.platform !== "linux") return "abstract sockets are Linux only";
  // Made here, as the state store would, to have an identity to lock.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { dev, ino, uid: owner } = await stat(dir, { bigint: true });
  const name = `\0ship-logs-state-dir:${dev}:${ino}`;
  const primary = await listen(name);
  if (!(primary instanceof Error)) {
    try {
      // The file too: a run that holds it alone (it found the name squatted,
      // and the squatter has gone since) refuses this one here.
      await holdSocketFile(dir);
    } catch (error) {
      primary.close();
      throw error;
    }
    // Any other failure of the file is of no matter: the name is held.
    return undefined;
  }
  if (primary.code !== "EADDRINUSE") return primary.code ?? primary.message;
  const found = findHolder(name, [process.geteuid?.() ?? -1, Number(owner)]);
  if (found !== undefined && "ours" in found) throw new StateDirBusyError(busy(found.ours.pid));
  const { other, unknown } = found ?? { unknown: "/proc/net/unix cannot be read" };
  const who =
    unknown !== undefined
      ? `cannot tell who holds the state directory's lock name (${unknown})`
      : `the state directory's lock name is held by something that is not a ship-logs of this user (${other === undefined ? "no process of this user holds it" : `pid ${other.pid}, uid ${other.uid}`})`;
  const holder = other === undefined ? {} : { holderPid: other.pid, holderUid: other.uid };
  warn({ stateDir: dir, lockName: `@${name.slice(1)}`, ...holder }, `${who}; locking with ${join(dir, LOCK_SOCKET)} instead`);
  const unheld = await holdSocketFile(dir);
  return unheld === undefined ? undefined : `the lock name is taken by something that is not a ship-logs of this user, and ${unheld}`;
}

function busy(pid: string | number | undefined): string {
  return `another ship-logs${pid === undefined ? "" : ` (pid ${pid})`} is using it`;
}

/** A listening server, unref'd; or why it could not listen. Whoever connects is told our pid, for the operator's message. */
async function listen(address: string): Promise<Server | NodeJS.ErrnoException> {
  const server = createServer((socket) => socket.end(String(process.pid)));
  const error = await new Promise<NodeJS.ErrnoException | undefined>((settle) => {
    server.once("error", settle);
    server.listen(address, () => settle(undefined));
  });
  if (error !== undefined) return error;
  server.unref();
  return server;
}

/**
 * Binds <dir>/lock.sock. One already there is asked: an answer means a
 * ship-logs holds it (only the owner of the 0700 directory can have made it),
 * a refusal that its holder died (kill -9, a crash: the file stays), and then
 * it is taken over. Two runs that find the same dead file at the same instant
 * can both take it over (each unlinks, and the later bind replaces the
 * earlier's file); that needs two starts within a millisecond or so after a
 * crash, and it matters only when the abstract name is not held by a
 * ship-logs, which decides in every other case. Accepted.
 *
 * Undefined once held; the reason when it cannot be; throws StateDirBusyError.
 */
async function holdSocketFile(dir: string): Promise<string | undefined> {
  const path = join(dir, LOCK_SOCKET);
  let handle: FileHandle | undefined;
  let address = path;
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    // Through the directory's descriptor, the path is short whatever the directory's.
    try {
      handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (error) {
      return `${path} is too long for a socket (${MAX_SOCKET_PATH} bytes at most) and the directory cannot be opened: ${(error as NodeJS.ErrnoException).code}`;
    }
    address = `/proc/self/fd/${handle.fd}/${LOCK_SOCKET}`;
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = await listen(address);
      if (!(server instanceof Error)) return undefined;
      if (server.code !== "EADDRINUSE") return `cannot make ${path}: ${server.code ?? server.message}`;
      const answer = await ask(address);
      if (answer.connected) throw new StateDirBusyError(busy(answer.pid));
      if (answer.code === "ECONNREFUSED") {
        const unlinked = await unlink(address).then(
          () => undefined,
          (error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? undefined : error.code),
        );
        if (unlinked !== undefined) return `cannot remove the stale ${path}: ${unlinked}`;
      } else if (answer.code !== "ENOENT") {
        return `cannot connect to ${path}: ${answer.code}`;
      }
    }
    return `${path} keeps changing`;
  } finally {
    await handle?.close();
  }
}

/** Connects to a lock: connected (with the pid the holder answers, if it does within a second), or the error. */
function ask(address: string): Promise<{ connected: true; pid?: string } | { connected: false; code?: string }> {
  return new Promise((settle) => {
    let answer = "";
    let refused: string | undefined;
    let connected = false;
    const socket = connect(address, () => (connected = true));
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")));
    socket.on("error", (error: NodeJS.ErrnoException) => (refused = error.code ?? error.message));
    socket.on("close", () => {
      if (!connected) settle({ connected: false, ...(refused === undefined ? {} : { code: refused }) });
      else settle(/^\d+$/.test(answer) ? { connected: true, pid: answer } : { connected: true });
    });
  });
}

interface Process {
  pid: number;
  uid: number;
}

/**
 * Who really holds the abstract socket `name`, by what the kernel says rather
 * than by what the holder answers: its inode in /proc/net/unix, then the
 * process with a descriptor `socket:[inode]`. `ours` when that process runs
 * as one of `uids` (this user, the directory's owner) in this network
 * namespace; else `other`, the first other holder seen, if any (another
 * user's descriptors are visible to root only, and their processes not at
 * all under hidepid=2: invisible is not ours, as ours stay visible to us).
 * Undefined when /proc/net/unix cannot be read.
 */
export function findHolder(
  name: string,
  uids: readonly number[],
  isShipLogs: (pid: string) => boolean = runsThisProgram,
): { ours: Process } | { other?: Process; unknown?: string } | undefined {
  let table: string;
  try {
    // latin1: one character a byte, whatever a name holds.
    table = readFileSync("/proc/net/unix", "latin1");
  } catch {
    return undefined;
  }
  const inodes = namedInodes(table, `@${name.slice(1)}`);
  if (inodes.size === 0) return {};
  const links = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  const ownNet = readlinkOrUndefined("/proc/self/ns/net");
  let other: Process | undefined;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid);
  } catch (error) {
    return { unknown: `/proc: ${(error as NodeJS.ErrnoException).code}` };
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // Another user's (unless root), or gone.
    }
    if (!fds.some((fd) => links.has(readlinkOrUndefined(`/proc/${pid}/fd/${fd}`) ?? ""))) continue;
    const uid = effectiveUid(pid);
    if (uid === undefined) continue;
    const holder = { pid: Number(pid), uid };
    // Its program too, not only its user: a name can be made to seem held by
    // any root process (a forged /proc/net/unix line naming sshd's TCP
    // socket; a setuid program the squatter execs with the socket open).
    if (uids.includes(uid) && (ownNet === undefined || readlinkOrUndefined(`/proc/${pid}/ns/net`) === ownNet) && isShipLogs(pid)) return { ours: holder };
    other ??= holder;
  }
  return other === undefined ? {} : { other };
}

/**
 * The inodes of the sockets bound to `shown` (a name as /proc/net/unix shows
 * it: an abstract one with `@` for its leading NUL, and for every other NUL,
 * the padding Node binds it with included). A name may hold a newline, and so
 * add a line of its maker's choosing, naming any inode: the kernel lists a
 * socket once, so an inode on two lines is not believed.
 */
export function namedInodes(table: string, shown: string): Set<string> {
  const lines = new Map<string, number>();
  const named: string[] = [];
  for (const line of table.split("\n")) {
    const match = /^[0-9a-f]+: [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{4} [0-9A-F]{2} +(\d+)(?: (.*))?$/.exec(line);
    if (match === null) continue;
    const inode = match[1] as string;
    lines.set(inode, (lines.get(inode) ?? 0) + 1);
    const path = match[2];
    if (inode !== "0" && path !== undefined && path.startsWith(shown) && /^@*$/.test(path.slice(shown.length))) named.push(inode);
  }
  return new Set(named.filter((inode) => lines.get(inode) === 1));
}

/**
 * Whether process `pid` runs the script this process runs (process.argv[1],
 * by real path; its arguments resolved against its own working directory):
 * a ship-logs of this installation, whatever release it is.
 */
export function runsThisProgram(pid: string): boolean {
  const self = process.argv[1];
  if (self === undefined) return false;
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return false;
  }
  const cwd = readlinkOrUndefined(`/proc/${pid}/cwd`);
  const ours = realpathOrSame(self);
  return args.slice(1).some((arg) => arg !== "" && cwd !== undefined && realpathOrSame(resolve(cwd, arg)) === ours);
}

function realpathOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function effectiveUid(pid: string): number | undefined {
  try {
    const match = /^Uid:\s+\d+\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
