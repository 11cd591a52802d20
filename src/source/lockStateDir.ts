import { mkdir, stat } from "node:fs/promises";
import { connect, createServer } from "node:net";

/** Another ship-logs process holds the state dir. */
export class StateDirBusyError extends Error {
  override readonly name = "StateDirBusyError";
}

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
 * Resolves with undefined once held; with the reason when no lock could be
 * had for another cause than a holder (not Linux, a sandbox without AF_UNIX):
 * the shipper then runs unlocked, as before. Throws StateDirBusyError.
 */
export async function lockStateDir(dir: string): Promise<string | undefined> {
  if (process.platform !== "linux") return "abstract sockets are Linux only";
  // Made here, as the state store would, to have an identity to lock.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { dev, ino } = await stat(dir, { bigint: true });
  const name = `\0ship-logs-state-dir:${dev}:${ino}`;
  // Whoever asks is told who holds it, for the operator's message.
  const server = createServer((socket) => socket.end(String(process.pid)));
  const listening = await new Promise<NodeJS.ErrnoException | undefined>((settle) => {
    server.once("error", settle);
    server.listen(name, () => settle(undefined));
  });
  if (listening === undefined) {
    server.unref();
    return undefined;
  }
  if (listening.code !== "EADDRINUSE") return listening.code ?? listening.message;
  const holder = await holderPid(name);
  throw new StateDirBusyError(`another ship-logs${holder === undefined ? "" : ` (pid ${holder})`} is using it`);
}

/** The pid the holding process answers with; undefined if it does not answer within a second. */
function holderPid(name: string): Promise<string | undefined> {
  return new Promise((settle) => {
    let answer = "";
    const socket = connect(name);
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")));
    socket.on("error", () => undefined);
    socket.on("close", () => settle(/^\d+$/.test(answer) ? answer : undefined));
  });
}
