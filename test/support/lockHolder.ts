import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { stat } from "node:fs/promises";

/** The abstract socket name ship-logs locks `dir` with (see lockStateDir). */
export async function lockNameOf(dir: string): Promise<string> {
  const { dev, ino } = await stat(dir, { bigint: true });
  return `\0ship-logs-state-dir:${dev}:${ino}`;
}

/**
 * A process that binds `address` (as /tmp/rev1-scratch's squatter does: Node,
 * so the same padded abstract name) and answers every connection with
 * `answer`, as `uid`/`gid` when given. Resolves once it listens.
 */
export async function startLockHolder(address: string, answer: string, ids: { uid?: number; gid?: number } = {}): Promise<ChildProcess> {
  const script = `const s = require("net").createServer((c) => c.end(process.argv[2])); s.on("error", (e) => { console.error(e.code); process.exit(3); }); const a = process.argv[1]; s.listen(a.startsWith("@") ? "\\0" + a.slice(1) : a, () => console.log("ready"));`;
  const child = spawn(process.execPath, ["-e", script, address.startsWith("\0") ? `@${address.slice(1)}` : address, answer], { stdio: ["ignore", "pipe", "inherit"], ...ids });
  const [chunk] = (await Promise.race([once(child.stdout, "data"), once(child, "exit").then(() => [Buffer.from("exited")])])) as [Buffer];
  if (!chunk.toString().startsWith("ready")) throw new Error(`the lock holder did not listen: ${chunk.toString()}`);
  return child;
}

export async function stopLockHolder(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGKILL");
  await once(child, "exit");
}
