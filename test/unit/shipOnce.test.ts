import { appendFileSync, copyFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { shipOnce, type OnceSummary } from "../../src/ship/shipOnce.js";
import { StateStore } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";
import { inProcessSink } from "../support/inProcessSink.js";

/*
 * `--once` runs in process, against an in-memory sink whose PUTs can wait
 * while the test changes the files: the moments these tests need fall inside
 * one upload.
 */

function numbered(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${tag} ${String(i).padStart(3, "0")}`);
}

describe("shipOnce", () => {
  let dir: string;
  /** Every object stored, by key: its lines. */
  let stored: Map<string, string[]>;
  /** Log lines at warn and above, as pino wrote them. */
  let warnings: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-once-"));
    stored = new Map();
    warnings = [];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(patterns: string[], beforePut: (key: string) => void = () => undefined): Promise<OnceSummary> {
    const store = new StateStore(join(dir, "state"));
    await store.init();
    const { sink, received } = inProcessSink(beforePut);
    const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(line) });
    const summary = await shipOnce(inProcessContext(store, await store.load(), { sink, logger }), patterns);
    for (const object of received) stored.set(object.key, object.body.toString("utf8").split("\n").filter(Boolean));
    return summary;
  }

  function shippedLines(): string[] {
    return [...stored.values()].flat();
  }

  it("a file copied and truncated during its first upload, then written past that batch: the next run finishes the old content from the copy and ships the new whole", async () => {
    const log = join(dir, "app.log");
    const old = numbered("old", 20);
    writeFileSync(log, `${old.join("\n")}\n`);
    const late = "old, written after the run opened the file";
    const fresh = numbered("new", 100);
    let rotated = false;
    const first = await run([log], () => {
      if (rotated) return;
      rotated = true;
      appendFileSync(log, `${late}\n`);
      copyFileSync(log, `${log}.1`);
      truncateSync(log, 0);
      appendFileSync(log, `${fresh.join("\n")}\n`);
    });
    expect(first.failures).toEqual([]);
    const second = await run([log]);
    expect(second.failures).toEqual([]);
    const lines = shippedLines();
    expect([...lines].sort()).toEqual([...old, late, ...fresh].sort());
  });

  it("a rotated file that a run finished, written again before the writer reopened: the next run ships the new lines", async () => {
    const log = join(dir, "app.log");
    writeFileSync(log, "a1\na2\n");
    expect((await run([log])).failures).toEqual([]);
    appendFileSync(log, "a3\n");
    renameSync(log, `${log}.1`);
    expect((await run([log])).failures).toEqual([]);
    // The writer still holds the rotated file open, then reopens app.log.
    appendFileSync(`${log}.1`, "a4\n");
    writeFileSync(log, "b1\n");
    expect((await run([log])).failures).toEqual([]);
    expect(shippedLines().sort()).toEqual(["a1", "a2", "a3", "a4", "b1"]);
  });

  it("a file taken out of --watch is not read again, however it grows", async () => {
    const app = join(dir, "app.log");
    const other = join(dir, "other.log");
    writeFileSync(app, "a1\n");
    writeFileSync(other, "o1\n");
    expect((await run([app, other])).failures).toEqual([]);
    appendFileSync(other, "o2\n");
    expect((await run([app])).failures).toEqual([]);
    expect(shippedLines().sort()).toEqual(["a1", "o1"]);
  });

  it("a file replaced at its path between two runs, without a copy: the warning says from which byte the old content's lines are lost", async () => {
    const log = join(dir, "app.log");
    writeFileSync(log, "a1\na2\n");
    expect((await run([log])).failures).toEqual([]);
    appendFileSync(log, "a3, never read\n");
    // Truncated and written again: the same inode, other content (as a new
    // file given a deleted rotated file's inode, after compress without delaycompress).
    writeFileSync(log, "n1\n");
    expect((await run([log])).failures).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({ path: log, lostFrom: 6 });
    expect(warnings[0]).toContain("the old content's lines after byte 6, if it had any, are lost; shipping the new content from the start");
    expect(shippedLines().sort()).toEqual(["a1", "a2", "n1"]);
  });

  it("a file moved into another directory between two runs is warned about, naming the byte its lost lines start at", async () => {
    const log = join(dir, "app.log");
    writeFileSync(log, "a1\n");
    expect((await run([log])).failures).toEqual([]);
    appendFileSync(log, "a2, never read\n");
    mkdirSync(join(dir, "old"));
    renameSync(log, join(dir, "old", "app.log.1"));
    writeFileSync(log, "n1\n");
    expect((await run([log])).failures).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({ path: log, readTo: 3 });
    expect(warnings[0]).toContain("after byte 3 could not be shipped");
  });

  it("a file taken out of --watch with an upload a run recorded: that upload goes, under its key, and nothing past it", async () => {
    const app = join(dir, "app.log");
    const other = join(dir, "other.log");
    writeFileSync(app, "a1\n");
    writeFileSync(other, "o1\n");
    let recorded: string | undefined;
    const first = await run([app], (key) => {
      if (recorded !== undefined) return;
      recorded = key;
      throw new Error("S3 is down");
    });
    expect(first.failures).toHaveLength(1);
    appendFileSync(app, "a2\n");
    const second = await run([other]);
    expect(second.failures).toEqual([]);
    expect(second.pendingBytes).toBe(0);
    appendFileSync(app, "a3\n");
    expect((await run([other])).failures).toEqual([]);
    expect(stored.get(recorded as string)).toEqual(["a1"]);
    expect(shippedLines().sort()).toEqual(["a1", "o1"]);
  });

  it("a file taken out of --watch, then renamed by logrotate: its lines written since are not shipped, whatever its new name", async () => {
    const app = join(dir, "app.log");
    const other = join(dir, "other.log");
    writeFileSync(app, "a1\n");
    writeFileSync(other, "o1\n");
    expect((await run([app, other])).failures).toEqual([]);
    expect((await run([other])).failures).toEqual([]);
    appendFileSync(app, "secret after unwatch\n");
    renameSync(app, `${app}.1`);
    writeFileSync(app, "");
    expect((await run([other])).failures).toEqual([]);
    expect((await run([other])).failures).toEqual([]);
    expect(shippedLines().sort()).toEqual(["a1", "o1"]);
  });

  it("a file taken out of --watch with an upload recorded, copied and truncated between runs: the upload goes from the copy, and nothing past it", async () => {
    const app = join(dir, "app.log");
    const other = join(dir, "other.log");
    writeFileSync(app, "a1\na2\n");
    writeFileSync(other, "o1\n");
    expect((await run([app, other])).failures).toEqual([]);
    appendFileSync(app, "a3\n");
    let recorded: string | undefined;
    const failed = await run([app], (key) => {
      if (recorded !== undefined) return;
      recorded = key;
      throw new Error("S3 is down");
    });
    expect(failed.failures).toHaveLength(1);
    appendFileSync(app, "secret after unwatch\n");
    copyFileSync(app, `${app}.1`);
    truncateSync(app, 0);
    appendFileSync(app, "n1\n");
    expect((await run([other])).failures).toEqual([]);
    expect(stored.get(recorded as string)).toEqual(["a3"]);
    expect(shippedLines().sort()).toEqual(["a1", "a2", "a3", "o1"]);
  });
});
