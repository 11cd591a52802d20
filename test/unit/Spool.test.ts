import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Spool, spoolContents } from "../../src/sink/Spool.js";

describe("Spool", () => {
  let dir: string;
  let logs: string[];
  let spool: Spool;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "spool-")), "spool");
    logs = [];
    spool = new Spool(dir, pino({ level: "info" }, { write: (line: string) => void logs.push(line) }));
  });
  afterEach(async () => {
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  const object = (key: string, text: string) => ({ key, body: Buffer.from(text), contentType: "text/plain", metadata: { lines: "1", "byte-range": "0-4" } });

  it("keeps an object under its key until removed", async () => {
    expect(await spool.save(object("a/b/0-4.log", "one\n"))).toBe(true);
    expect(await spool.keys()).toEqual(new Set(["a/b/0-4.log"]));
    expect(await spool.take("a/b/0-4.log")).toEqual({ kind: "kept", object: object("a/b/0-4.log", "one\n") });
    expect(await spool.take("other")).toEqual({ kind: "absent" });
    await spool.remove("a/b/0-4.log");
    expect(await spool.keys()).toEqual(new Set());
    expect(await readdir(dir)).toEqual([]);
  });

  it("a damaged body is not sent: dropped and said", async () => {
    await spool.save(object("k", "one\n"));
    const body = (await readdir(dir)).find((name) => name.endsWith(".body")) ?? "";
    await writeFile(join(dir, body), "0ne\n");
    expect(await spool.take("k")).toEqual({ kind: "damaged" });
    expect(logs.join("")).toMatch(/damaged/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("a body that cannot be read now (EISDIR here; EMFILE, EIO) is not taken for damage: the entry stays", async () => {
    await spool.save(object("k", "one\n"));
    const body = join(dir, (await readdir(dir)).find((name) => name.endsWith(".body")) ?? "");
    await rm(body);
    await mkdir(body);
    await expect(spool.take("k")).rejects.toMatchObject({ code: "EISDIR" });
    expect((await readdir(dir)).some((name) => name.endsWith(".json"))).toBe(true);
  });

  it("a body missing or cut short is damage, found when taken (not a key silently left out)", async () => {
    await spool.save(object("k", "one\n"));
    const body = join(dir, (await readdir(dir)).find((name) => name.endsWith(".body")) ?? "");
    await writeFile(body, "on");
    const fresh = new Spool(dir, pino({ level: "info" }, { write: (line: string) => void logs.push(line) }));
    expect(await fresh.keys()).toEqual(new Set(["k"]));
    expect(await fresh.take("k")).toEqual({ kind: "damaged" });
    expect(await readdir(dir)).toEqual([]);
  });

  it("a record that cannot be read now (EISDIR here; EACCES, EIO) is kept by tidy(), and counted by status", async () => {
    await spool.save(object("k", "one\n"));
    const record = join(dir, (await readdir(dir)).find((name) => name.endsWith(".json")) ?? "");
    await rm(record);
    await mkdir(record);
    await spool.tidy();
    expect(await readdir(dir)).toHaveLength(2);
    expect(await spoolContents(dir)).toEqual({ batches: 1, bytes: 0 });
  });

  it("a record that could not be read when the spool was first listed is listed once it reads", async () => {
    await spool.save(object("k", "one\n"));
    const record = join(dir, (await readdir(dir)).find((name) => name.endsWith(".json")) ?? "");
    const text = await readFile(record, "utf8");
    await rm(record);
    await mkdir(record);
    const fresh = new Spool(dir, pino({ level: "info" }, { write: (line: string) => void logs.push(line) }));
    expect(await fresh.keys()).toEqual(new Set());
    await rm(record, { recursive: true });
    await writeFile(record, text);
    expect(await fresh.keys()).toEqual(new Set(["k"]));
  });

  it("tidy() drops a record that does not read, with its body, and says so", async () => {
    await spool.save(object("k", "one\n"));
    const record = join(dir, (await readdir(dir)).find((name) => name.endsWith(".json")) ?? "");
    await writeFile(record, "{not json");
    await spool.tidy();
    expect(await readdir(dir)).toEqual([]);
    expect(logs.join("")).toMatch(/record is damaged/);
  });

  it("tidy() removes what a save cut short: temp files and a body without its record", async () => {
    await spool.save(object("k", "one\n"));
    await writeFile(join(dir, "abc.body"), "half");
    await writeFile(join(dir, "abc.json.tmp"), "{");
    await spool.tidy();
    expect((await readdir(dir)).sort()).toHaveLength(2);
    expect(await spool.keys()).toEqual(new Set(["k"]));
    expect(JSON.parse(await readFile(join(dir, (await readdir(dir)).find((name) => name.endsWith(".json")) ?? ""), "utf8"))).toMatchObject({ key: "k", bytes: 4 });
  });

  it("a save that cannot be made (a file where the spool should be) says so and returns false", async () => {
    const blocker = join(dir, "..", "blocker");
    await writeFile(blocker, "");
    const blocked = new Spool(join(blocker, "spool"), pino({ level: "info" }, { write: (line: string) => void logs.push(line) }));
    expect(await blocked.save(object("k", "one\n"))).toBe(false);
    expect(logs.join("")).toMatch(/cannot keep a cancelled batch.*ENOTDIR|ENOTDIR.*cannot keep a cancelled batch/);
  });
});
