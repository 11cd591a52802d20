import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findHolder, lockStateDir, namedInodes, runsThisProgram, StateDirBusyError } from "../../src/source/lockStateDir.js";
import { lockNameOf, startLockHolder, stopLockHolder } from "../support/lockHolder.js";

const linux = process.platform === "linux";
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

function line(inode: number, path: string): string {
  return `0000000076de8544: 00000002 00000000 00010000 0001 01 ${String(inode).padStart(5)} ${path}`;
}

describe("namedInodes: the sockets /proc/net/unix lists under a name", () => {
  const name = "@ship-logs-state-dir:2049:77";
  const header = "Num       RefCount Protocol Flags    Type St Inode Path";

  it("an abstract name as Node binds it (padded with NULs, shown as @); not a longer or another name, nor an unbound socket", () => {
    const table = [header, line(11, `${name}${"@".repeat(70)}`), line(12, `${name}7@@@`), line(13, "@other"), line(14, ""), line(0, name), ""].join("\n");
    expect([...namedInodes(table, name)]).toEqual(["11"]);
  });

  it("a line forged by a name with a newline in it, giving the inode of another's socket, is not believed", () => {
    // Whoever binds "@x\n<line>" adds <line> to the table; the inode it names is also listed where it really is.
    const table = [header, line(500, "/run/systemd/journal/stdout"), line(600, "@x"), line(500, name), line(700, `${name}@@@`), ""].join("\n");
    expect([...namedInodes(table, name)]).toEqual(["700"]);
  });
});

describe.skipIf(!linux)("lockStateDir", () => {
  let dir: string | undefined;
  let holder: ChildProcess | undefined;

  afterEach(async () => {
    await stopLockHolder(holder);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = holder = undefined;
  });

  it("a name held by a process of this user running ship-logs is another ship-logs, named by its real pid, not by what it answers", async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-logs-lock-"));
    const name = await lockNameOf(dir);
    holder = await startLockHolder(name, "1");
    const uid = process.geteuid?.() ?? -1;
    // The holder stands in for a ship-logs: its program is not looked at here.
    expect(findHolder(name, [uid], () => true)).toEqual({ ours: { pid: holder.pid, uid } });
  });

  it("a name held by a process of this user that runs another program is not a ship-logs (a setuid program a squatter execs with the socket open; a forged line naming sshd's socket): the run locks with lock.sock", async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-logs-lock-"));
    const name = await lockNameOf(dir);
    holder = await startLockHolder(name, "1");
    expect(runsThisProgram(String(holder.pid))).toBe(false);
    const uid = process.geteuid?.() ?? -1;
    expect(findHolder(name, [uid])).toEqual({ other: { pid: holder.pid, uid } });
    const warnings: string[] = [];
    expect(await lockStateDir(dir, (_, message) => warnings.push(message))).toBeUndefined();
    expect(warnings).toEqual([`the state directory's lock name is held by something that is not a ship-logs of this user (pid ${holder.pid}, uid ${uid}); locking with ${join(dir, "lock.sock")} instead`]);
  });

  it.skipIf(!asRoot)("squatted by nobody with a state dir whose lock.sock path is too long for a socket: the file is bound through the directory's descriptor", async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-logs-lock-"));
    const deep = join(dir, "d".repeat(60), "e".repeat(60));
    await mkdir(deep, { recursive: true, mode: 0o700 });
    holder = await startLockHolder(await lockNameOf(deep), "1", { uid: NOBODY, gid: NOBODY });
    const warnings: string[] = [];
    expect(await lockStateDir(deep, (_, message) => warnings.push(message))).toBeUndefined();
    expect(warnings).toEqual([`the state directory's lock name is held by something that is not a ship-logs of this user (pid ${holder.pid}, uid ${NOBODY}); locking with ${join(deep, "lock.sock")} instead`]);
    expect((await stat(join(deep, "lock.sock"))).isSocket()).toBe(true);
    // Held: the next try (this process again) is told so by the file.
    await expect(lockStateDir(deep, () => undefined)).rejects.toThrow(new StateDirBusyError(`another ship-logs (pid ${process.pid}) is using it`));
  });
});
