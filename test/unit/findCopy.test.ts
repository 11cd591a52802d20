import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { findCopy, type FoundCopy } from "../../src/source/findCopy.js";
import { fingerprint, fingerprintBefore } from "../../src/source/fingerprint.js";
import { openFile } from "../../src/source/openFile.js";
import { freshCheckpoint } from "../../src/source/resolveCheckpoint.js";

describe("findCopy", () => {
  let dir: string;
  let app: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "find-copy-"));
    app = join(dir, "app.log");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * The checkpoint of app.log after `shipped` bytes of `content` were
   * acknowledged, and an upload recorded up to `readTo`; with the tail
   * fingerprint a batch cut keeps, unless `legacy` (a checkpoint of a release
   * before it).
   */
  async function checkpointOf(content: string | Buffer, shipped: number, readTo = shipped, legacy = false): Promise<FileCheckpoint> {
    await writeFile(app, content);
    const file = await openFile(app);
    try {
      const checkpoint = await freshCheckpoint(file);
      const head = await fingerprint(file.handle, shipped);
      const pending = readTo > shipped ? [{ start: shipped, end: readTo, key: "recorded" }] : [];
      const tail = legacy || readTo === 0 ? {} : { tail: await fingerprintBefore(file.handle, readTo) };
      return { ...checkpoint, offset: shipped, pending, fingerprint: head.hash, fingerprintLength: head.length, ...tail };
    } finally {
      await file.handle.close();
    }
  }

  const nothingFollowed = (): boolean => false;

  async function found(checkpoint: FileCheckpoint, isFollowed: (path: string) => boolean = nothingFollowed): Promise<{ path: string; followed: boolean } | undefined> {
    let copy: FoundCopy | undefined;
    try {
      copy = await findCopy(checkpoint, (file) => isFollowed(file.path));
      return copy === undefined ? undefined : { path: copy.file.path, followed: copy.followed };
    } finally {
      await copy?.file.handle.close();
    }
  }

  async function expectCopyAt(checkpoint: FileCheckpoint, path: string): Promise<void> {
    expect((await found(checkpoint))?.path).toBe(path);
  }

  /** Sets a file's modification time `secondsAgo` in the past. */
  async function age(path: string, secondsAgo: number): Promise<void> {
    const then = new Date(Date.now() - secondsAgo * 1000);
    await utimes(path, then, then);
  }

  it("finds the sibling that starts with the shipped head and holds what was read, skipping the file itself and directories", async () => {
    const content = "one\ntwo\nthree\n";
    const checkpoint = await checkpointOf(content, 4, 8);
    await mkdir(join(dir, "app.log.0"));
    await writeFile(join(dir, "app.log.2"), "older content\n");
    await writeFile(join(dir, "app.log.3"), "one\n");
    await writeFile(join(dir, "app.log.1"), content);
    await expectCopyAt(checkpoint, join(dir, "app.log.1"));
  });

  it("skips a named pipe beside the file instead of waiting for a writer to open it", async () => {
    const content = "one\ntwo\nthree\n";
    const checkpoint = await checkpointOf(content, 4, 8);
    // A search that opened it for reading would block there, for good.
    execFileSync("mkfifo", [join(dir, "app.log.0")]);
    await writeFile(join(dir, "app.log.1"), content);
    await expectCopyAt(checkpoint, join(dir, "app.log.1"));
  });

  it("leaves a writer waiting on a named pipe beside the file waiting: opening the pipe would release it into a closed one", async () => {
    const content = "one\ntwo\nthree\n";
    const checkpoint = await checkpointOf(content, 4, 8);
    const fifo = join(dir, "app.log.0");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `echo waiting > '${fifo}'`]);
    try {
      // Until the writer waits in its open, a search that opened the pipe would not release it:
      // wait for the kernel to show it there (where /proc shows wait channels), else a while.
      const wchan = `/proc/${String(writer.pid)}/wchan`;
      for (let waited = 0; waited < 2_000 && (await readFile(wchan, "utf8").catch(() => "")) !== "wait_for_partner"; waited += 10) await sleep(10);
      await writeFile(join(dir, "app.log.1"), content);
      await expectCopyAt(checkpoint, join(dir, "app.log.1"));
      await sleep(100);
      expect(writer.exitCode, "the writer was released and ended").toBeNull();
      expect(writer.signalCode).toBeNull();
      expect(await readFile(fifo, "utf8")).toBe("waiting\n");
    } finally {
      writer.kill();
    }
  });

  it("finds nothing without an acknowledged head to recognise the copy by", async () => {
    const checkpoint = await checkpointOf("one\n", 0);
    await writeFile(join(dir, "app.log.1"), "one\n");
    expect(await found(checkpoint)).toBeUndefined();
  });

  it("refuses a sibling with the same head that does not hold the bytes read just before the truncation", async () => {
    // A KiB of NULs at the head of both: the head alone cannot tell them apart.
    const nuls = Buffer.alloc(4096);
    const checkpoint = await checkpointOf(Buffer.concat([nuls, Buffer.from("cur 0\ncur 1\n")]), 4096 + 12);
    await writeFile(join(dir, "app.log-20261201"), Buffer.concat([nuls, Buffer.from("old 0\nold 1\nold 2\n")]));
    expect(await found(checkpoint)).toBeUndefined();
    await writeFile(join(dir, "app.log-20261207"), Buffer.concat([nuls, Buffer.from("cur 0\ncur 1\ncur 2\n")]));
    await expectCopyAt(checkpoint, join(dir, "app.log-20261207"));
  });

  it("a checkpoint of an earlier release, without a tail fingerprint, still finds its copy by the head", async () => {
    const content = "one\ntwo\nthree\n";
    const checkpoint = await checkpointOf(content, 4, 8, true);
    expect(checkpoint.tail).toBeUndefined();
    await writeFile(join(dir, "app.log.1"), content);
    await expectCopyAt(checkpoint, join(dir, "app.log.1"));
  });

  it("passes over a followed file with the same content for one that is not followed", async () => {
    const banner = "worker starting (v1.4.2)\nconfig loaded\n";
    const b = join(dir, "b.log");
    app = b;
    const checkpoint = await checkpointOf(banner, banner.length);
    // a.log: another watched log starting with the same banner, first in name order and newer.
    await writeFile(join(dir, "a.log"), `${banner}queue a: job 1 done\n`);
    await writeFile(join(dir, "b.log.1"), `${banner}queue b: job 1 done\n`);
    await age(join(dir, "b.log.1"), 60);
    const followed = (path: string): boolean => path.endsWith(".log");
    expect(await found(checkpoint, followed)).toEqual({ path: join(dir, "b.log.1"), followed: false });
  });

  it("returns a followed copy, said to be followed, when it is the only one", async () => {
    const content = "one\ntwo\nthree\n";
    const checkpoint = await checkpointOf(content, 4, 8);
    await writeFile(join(dir, "app.log.1"), content);
    expect(await found(checkpoint, () => true)).toEqual({ path: join(dir, "app.log.1"), followed: true });
  });

  it("prefers a rotated name of the file to another name, then the most recently modified", async () => {
    const content = "one\ntwo\nthree\n";
    const checkpoint = await checkpointOf(content, 4, 8);
    // An unrelated name, first in name order and the newest: not the copy while a rotated name holds it.
    await writeFile(join(dir, "a-backup.txt"), content);
    await writeFile(join(dir, "app.log-20261201"), content);
    await age(join(dir, "app.log-20261201"), 7 * 24 * 3600);
    await writeFile(join(dir, "app.log-20261207"), content);
    await age(join(dir, "app.log-20261207"), 60);
    await writeFile(join(dir, "app.log.gz"), content);
    await expectCopyAt(checkpoint, join(dir, "app.log-20261207"));
  });

  it("prefers a rotated name of the file a symlink at the path leads to", async () => {
    const content = "one\ntwo\nthree\n";
    const real = join(dir, "service-current.log");
    app = real;
    const checkpoint = await checkpointOf(content, 4, 8);
    const link = join(dir, "app.log");
    await symlink(real, link);
    await writeFile(join(dir, "a-backup.txt"), content);
    await writeFile(join(dir, "service-current.log.1"), content);
    await age(join(dir, "service-current.log.1"), 60);
    await expectCopyAt({ ...checkpoint, path: link }, join(dir, "service-current.log.1"));
  });
});
