import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { freePort } from "../support/freePort.js";
import { LEVEL, logRecords } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce } from "../support/shippedLines.js";
import { BUCKET, baseArgs, linesInS3, runCli, type World } from "../support/world.js";
import {
  duringRun,
  expectOneCleanLine,
  expectSuccess,
  keysOfFile,
  rangeOfKey,
  replaceFlag,
  summaryOf,
  numberedLines,
  writeLines,
} from "./onceSupport.js";

/** Not fake-imds' default, so a key holding it proves the id was read from IMDS. */
const INSTANCE_ID = "i-0a1b2c3d4e5f60718";
/** `<source id>-<start>-<end>`, offsets zero-padded to 15 digits (README "What lands in S3"). */
const OBJECT_NAME = String.raw`[0-9A-Za-z]+-\d{15}-\d{15}`;

/** Each file's objects cover its bytes from 0 to `size` without gap or overlap, in key order. */
function expectContiguous(world: World, fileName: string, size: number): void {
  const ranges = keysOfFile(world, fileName).map(rangeOfKey);
  expect(ranges.length, `objects of ${fileName}`).toBeGreaterThan(0);
  expect(ranges[0]?.start).toBe(0);
  ranges.slice(1).forEach((range, i) => expect(range.start, `object ${i + 1} of ${fileName} starts where ${i} ended`).toBe(ranges[i]?.end));
  expect(ranges.at(-1)?.end).toBe(size);
}

describe("ship-logs --once (issue 2, the walking skeleton; e2e against the real CLI)", () => {
  const scenario = useScenario();

  it("ships a 50 000-line backlog over three files exactly once, in file order, under default-layout keys", async () => {
    const world = await scenario.startWorld({ imds: { instanceId: INSTANCE_ID } });
    const files = new Map([
      ["app.log", numberedLines("app", 25_000)],
      ["auth.log", numberedLines("auth", 15_000)],
      ["web.log", numberedLines("web", 10_000)],
    ]);
    for (const [name, lines] of files) await writeLines(join(world.logs, name), lines);

    // 256 KiB batches: several objects per file, so "in order" spans objects, not just lines.
    const { result: run, days } = await duringRun(() => runCli([...baseArgs(world), "--once", "--batch-max-bytes", "256KiB"]));

    expectSuccess(run);
    const objects = world.s3.listObjects(BUCKET);
    expect(summaryOf(run)).toEqual({
      files: 3,
      lines: 50_000,
      bytes_in: expect.any(Number) as unknown,
      bytes_out: expect.any(Number) as unknown,
      objects: objects.length,
      pending_bytes: 0,
      failures: 0,
    });
    expect(objects.length).toBeGreaterThanOrEqual(3 * 2);
    for (const [name, lines] of files) {
      // Every line once and in order, every object written once (putCount === 1).
      expectShippedExactlyOnce(world, name, lines);
      const size = (await readFile(join(world.logs, name))).length;
      expectContiguous(world, name, size);
      for (const key of keysOfFile(world, name)) {
        expect(key).toMatch(new RegExp(`^${INSTANCE_ID}/(${days.join("|")})/${name.replace(".", "\\.")}/${OBJECT_NAME}\\.log\\.gz$`));
      }
    }
    for (const { key, object } of objects) {
      expect(object.putCount, key).toBe(1);
      expect(object.body.subarray(0, 2), `${key} is gzip`).toEqual(Buffer.from([0x1f, 0x8b]));
    }
    assertImdsV2Only(world.imds);
  });

  it("writes hive-layout keys: PREFIX dt=YYYY-MM-DD/instance=ID/file=NAME/", async () => {
    const world = await scenario.startWorld({ imds: { instanceId: INSTANCE_ID } });
    const lines = numberedLines("api", 500);
    await writeLines(join(world.logs, "api.log"), lines);

    const { result: run, days } = await duringRun(() =>
      runCli([...baseArgs(world), "--once", "--key-layout", "hive", "--prefix", "fleet/"]),
    );

    expectSuccess(run);
    const keys = world.s3.listObjects(BUCKET).map(({ key }) => key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^fleet/dt=(${days.join("|")})/instance=${INSTANCE_ID}/file=api\\.log/${OBJECT_NAME}\\.log\\.gz$`));
    expect(linesInS3(world).get("api.log")).toEqual(lines);
    assertImdsV2Only(world.imds);
  });

  it("leaves a partial last line pending and reports it; once its newline is written, the next run ships it", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    await appendFile(path, "first\nsecond\nthird, still being writ");

    const first = await runCli([...baseArgs(world), "--once"]);

    expectSuccess(first);
    expect(summaryOf(first)).toMatchObject({ files: 1, lines: 2, objects: 1, pending_bytes: "third, still being writ".length });
    expect(linesInS3(world).get("app.log")).toEqual(["first", "second"]);

    await appendFile(path, "ten\n");
    const second = await runCli([...baseArgs(world), "--once"]);

    expectSuccess(second);
    expect(summaryOf(second)).toMatchObject({ lines: 1, objects: 1, pending_bytes: 0 });
    expectShippedExactlyOnce(world, "app.log", ["first", "second", "third, still being written"]);
  });

  it("a file moved into another directory (logrotate's olddir) between two runs: its unread lines are lost, and a warning names the file and the byte they start at", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const shipped = numberedLines("a", 50);
    await writeLines(path, shipped);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    const readTo = (await stat(path)).size;
    await appendFile(path, numberedLines("b", 50).map((line) => `${line}\n`).join(""));
    await mkdir(join(world.logs, "old"));
    await rename(path, join(world.logs, "old", "app.log.1"));
    const fresh = numberedLines("c", 20);
    await writeLines(path, fresh);

    const second = await runCli([...baseArgs(world), "--once"]);

    expectSuccess(second);
    const warned = logRecords(second.stderr).filter((record) => record.level === LEVEL.warn);
    expect(warned.map((record) => [record["path"], record["readTo"]])).toEqual([[path, readTo]]);
    expect(warned[0]?.msg).toContain(`moved out of reach (into another directory, such as logrotate's olddir) or deleted`);
    expect(warned[0]?.msg).toContain(`after byte ${readTo} could not be shipped`);
    expect(linesInS3(world).get("app.log")?.sort()).toEqual([...shipped, ...fresh].sort());

    // Deleted after a run finished it, a rotated file is no news.
    await rename(path, `${path}.1`);
    await writeLines(path, ["d"]);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    await rm(`${path}.1`);
    const third = await runCli([...baseArgs(world), "--once"]);
    expectSuccess(third);
    expect(logRecords(third.stderr).filter((record) => record.level >= LEVEL.warn)).toEqual([]);
  });

  it("a second --once with nothing new uploads nothing", async () => {
    const world = await scenario.startWorld();
    const lines = numberedLines("app", 2_000);
    await writeLines(join(world.logs, "app.log"), lines);
    expectSuccess(await runCli([...baseArgs(world), "--once", "--batch-max-bytes", "16KiB"]));
    const stored = world.s3.listObjects(BUCKET).length;
    const puts = world.s3.requests.filter((request) => request.method === "PUT").length;

    const again = await runCli([...baseArgs(world), "--once", "--batch-max-bytes", "16KiB"]);

    expectSuccess(again);
    expect(summaryOf(again)).toMatchObject({ files: 1, lines: 0, bytes_in: 0, objects: 0, pending_bytes: 0, failures: 0 });
    expect(world.s3.listObjects(BUCKET)).toHaveLength(stored);
    expect(world.s3.requests.filter((request) => request.method === "PUT")).toHaveLength(puts);
    expectShippedExactlyOnce(world, "app.log", lines);
  });

  it("a --watch pattern that matches no file is said, at warn, by --once and by the daemon; the other patterns ship", async () => {
    const world = await scenario.startWorld();
    await writeLines(join(world.logs, "app.log"), ["shipped"]);
    const absent = join(world.logs, "syslog");
    const args = [...baseArgs(world), "--watch", absent];
    const once = await runCli([...args, "--once"]);
    expectSuccess(once);
    const said = (stderr: string) =>
      logRecords(stderr)
        .filter((record) => record.level === LEVEL.warn)
        .map((record) => [record.msg, record["pattern"]]);
    expect(said(once.stderr)).toEqual([["no file matches this --watch pattern", absent]]);
    expectShippedExactlyOnce(world, "app.log", ["shipped"]);

    const daemon = scenario.startDaemon(args);
    await daemon.waitForLog(/no file matches this --watch pattern yet/);
    const stopped = await daemon.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    expect(said(stopped.stderr)).toEqual([["no file matches this --watch pattern yet; files that appear are picked up", absent]]);
  });

  it("--batch-max-bytes cuts several objects per file, each at most that size and ending on a line boundary, keys in file order", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    await writeLines(path, numberedLines("app", 600));
    const content = await readFile(path);

    const run = await runCli([...baseArgs(world), "--once", "--batch-max-bytes", "4KiB"]);

    expectSuccess(run);
    const objects = world.s3.listObjects(BUCKET);
    expect(objects.length).toBeGreaterThanOrEqual(Math.floor(content.length / 4096));
    expect(summaryOf(run).objects).toBe(objects.length);
    for (const { key, object } of objects) {
      const body = gunzipSync(object.body);
      const { start, end } = rangeOfKey(key);
      expect(body.length, key).toBeLessThanOrEqual(4096);
      expect(body.at(-1), `${key} ends with a newline`).toBe(0x0a);
      expect(body.equals(content.subarray(start, end)), `${key} holds bytes ${start}-${end} of the file`).toBe(true);
    }
    // Listing order (by key) is file order: the ranges follow each other.
    expectContiguous(world, "app.log", content.length);
  });

  it("--compression none stores the plain lines under a key ending .log", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    await writeLines(path, numberedLines("app", 300));

    const run = await runCli([...baseArgs(world), "--once", "--compression", "none"]);

    expectSuccess(run);
    const objects = world.s3.listObjects(BUCKET);
    expect(objects).toHaveLength(1);
    const [{ key, object }] = objects as [(typeof objects)[number]];
    expect(key).toMatch(/\/app\.log\/[^/]+\.log$/);
    expect(object.body.equals(await readFile(path))).toBe(true);
    expect(object.contentEncoding).not.toBe("gzip");
    expect(object.contentType).toMatch(/^text\/plain/);
  });

  it("a missing --bucket or a bad flag value: exit 2, one clear line on stderr, nothing contacted", async () => {
    const w = await scenario.startWorld();
    const withoutBucket = baseArgs(w).filter((arg, i, args) => arg !== "--bucket" && args[i - 1] !== "--bucket");
    const cases: Array<{ args: string[]; says: RegExp }> = [
      { args: [...withoutBucket, "--once"], says: /--bucket/ },
      { args: [...baseArgs(w), "--once", "--compression", "zip"], says: /--compression.*zip/ },
      { args: [...baseArgs(w), "--once", "--batch-max-bytes", "lots"], says: /--batch-max-bytes.*lots/ },
      { args: [...baseArgs(w), "--once", "--key-layout", "flat"], says: /--key-layout.*flat/ },
      { args: [...baseArgs(w), "--once", "--log-level", "loud"], says: /--log-level.*loud/ },
      { args: [...baseArgs(w), "--once", "--no-such-flag"], says: /--no-such-flag/ },
    ];

    const runs = await Promise.all(cases.map(({ args }) => runCli(args)));

    runs.forEach((run, i) => {
      const { says } = cases[i] as (typeof cases)[number];
      expect(run.code, `${says} (stderr: ${run.stderr})`).toBe(2);
      expect(expectOneCleanLine(run.stderr)).toMatch(says);
      expect(run.stdout).toBe("");
    });
    expect(w.imds.requests).toEqual([]);
    expect(w.s3.requests).toEqual([]);
    expect(existsSync(w.state), "state dir created").toBe(false);
  });

  it("with IMDS unreachable: exit 1 with one clear line naming IMDS, nothing shipped", async () => {
    const world = await scenario.startWorld();
    await writeLines(join(world.logs, "app.log"), numberedLines("app", 10));
    const endpoint = `http://127.0.0.1:${await freePort()}`;

    const run = await runCli([...replaceFlag(baseArgs(world), "--imds-endpoint", endpoint), "--once"]);

    expect(run.code).toBe(1);
    const line = expectOneCleanLine(run.stderr);
    expect(line).toMatch(/^ship-logs: .*IMDS unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(run.stdout).toBe("");
    expect(world.s3.requests).toEqual([]);
  });
});
