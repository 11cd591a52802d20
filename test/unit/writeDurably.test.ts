import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { syncDirectory } from "../../src/fs/syncDirectory.js";
import { writeDurably } from "../../src/fs/writeDurably.js";

describe("writeDurably", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "durable-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("replaces the file whole, readable by its owner only, and leaves no temp file", async () => {
    const path = join(dir, "state.json");
    await writeFile(path, "old");
    await writeDurably(path, "new");
    await syncDirectory(dir);
    expect(await readFile(path, "utf8")).toBe("new");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("writes through the temp name it is given", async () => {
    const path = join(dir, "body");
    await writeDurably(path, Buffer.from([0, 1, 2]), join(dir, "body.tmp-7"));
    expect([...(await readFile(path))]).toEqual([0, 1, 2]);
    expect(await readdir(dir)).toEqual(["body"]);
  });

  it("never writes through a link planted at its temp name", async () => {
    const victim = join(dir, "victim");
    await writeFile(victim, "content\n", { mode: 0o644 });
    const path = join(dir, "state.json");
    await symlink(victim, `${path}.tmp`);
    await writeDurably(path, "new");
    expect(await readFile(victim, "utf8")).toBe("content\n");
    expect((await stat(victim)).mode & 0o777).toBe(0o644);
    expect((await lstat(path)).isFile()).toBe(true);
    expect(await readFile(path, "utf8")).toBe("new");
  });

  it("removes its temp file when the write fails", async () => {
    // A directory in the way: the rename fails after the temp file is written.
    const path = join(dir, "taken");
    await mkdir(join(path, "inside"), { recursive: true });
    await expect(writeDurably(path, "new")).rejects.toMatchObject({ code: "EISDIR" });
    expect(await readdir(dir)).toEqual(["taken"]);
    await expect(writeDurably(join(dir, "missing", "file"), "x")).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readdir(dir)).toEqual(["taken"]);
  });
});
