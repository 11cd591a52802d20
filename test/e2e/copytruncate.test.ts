import { randomBytes } from "node:crypto";
import { appendFile, copyFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acknowledgedOffset, baseArgs, linesBySource, runCli, startDaemon, startWorld, waitFor, type World } from "../support/world.js";

/*
 * logrotate copytruncate: copy app.log to app.log.1 (which the glob does not
 * match), then truncate app.log. The daemon reads lazily: between flushes,
 * lines that do not fill a batch stay in the file, unread. Those lines are in
 * the copy; the daemon must finish the old content from there instead of
 * losing up to a flush interval of lines (docs/delivery.md).
 */

function numbered(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}-${String(i).padStart(4, "0")}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Each source's lines, in S3, in the order of their first line. */
function sources(world: World): string[][] {
  return [...linesBySource(world).values()].sort((a, b) => (a[0] ?? "").localeCompare(b[0] ?? ""));
}

/** logrotate's copytruncate, with nothing written between the copy and the truncation. */
async function copyTruncate(path: string): Promise<void> {
  await copyFile(path, `${path}.1`);
  await truncate(path, 0);
}

describe("copytruncate", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  /**
   * A daemon (flush interval 1 s) that has had `shipped` lines of app.log
   * acknowledged, not just stored: it knows the head it recognises the copy by.
   */
  async function daemonPast(app: string, shipped: readonly string[]): Promise<ReturnType<typeof startDaemon>> {
    await appendFile(app, `${shipped.join("\n")}\n`);
    const daemon = startDaemon([...baseArgs(world), "--flush-interval", "1"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await waitFor(async () => (await acknowledgedOffset(world, app)) > 0, 10_000, "the first lines acknowledged");
    return daemon;
  }

  it("lines not yet read when the file is copied and truncated are shipped from the copy", async () => {
    const app = join(world.logs, "app.log");
    const shipped = numbered("shipped", 10);
    const unread = numbered("unread", 100);
    const after = numbered("after", 5);
    const daemon = await daemonPast(app, shipped);

    // Written and rotated well within one flush interval: not read yet.
    await appendFile(app, `${unread.join("\n")}\n`);
    await copyFile(app, `${app}.1`);
    await truncate(app, 0);
    await daemon.waitForLog(/file was (copied and )?truncated/);
    await appendFile(app, `${after.join("\n")}\n`);

    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).not.toMatch(/those bytes are lost/);
    const sources = [...linesBySource(world).values()].sort((a, b) => (a[0] ?? "").localeCompare(b[0] ?? ""));
    expect(sources).toEqual([after, [...shipped, ...unread]]);
  });

  it("a copytruncate between two --once runs: what the first did not see is shipped from the copy", async () => {
    const app = join(world.logs, "app.log");
    const shipped = numbered("shipped", 200);
    const between = numbered("between", 100);
    const after = numbered("after", 5);
    await appendFile(app, `${shipped.join("\n")}\n`);
    expect((await runCli([...baseArgs(world), "--once"])).code).toBe(0);
    await appendFile(app, `${between.join("\n")}\n`);
    await copyTruncate(app);
    await appendFile(app, `${after.join("\n")}\n`);

    const second = await runCli([...baseArgs(world), "--once"]);
    expect(second.code, second.stderr.slice(-3000)).toBe(0);
    expect(sources(world)).toEqual([after, [...shipped, ...between]]);
    // The copy is finished: a third run ships nothing more.
    expect((await runCli([...baseArgs(world), "--once"])).code).toBe(0);
    expect(sources(world)).toEqual([after, [...shipped, ...between]]);
  });

  it("a copytruncate while the daemon is stopped: what it did not ship is shipped from the copy", async () => {
    const app = join(world.logs, "app.log");
    const shipped = numbered("shipped", 200);
    const between = numbered("between", 100);
    const after = numbered("after", 5);
    expect((await (await daemonPast(app, shipped)).stop("SIGTERM")).code).toBe(0);

    await appendFile(app, `${between.join("\n")}\n`);
    await copyTruncate(app);
    await appendFile(app, `${after.join("\n")}\n`);
    const daemon = startDaemon([...baseArgs(world), "--flush-interval", "1"]);
    await daemon.waitForLog(/finishing its old content from the copy/);
    await waitFor(() => sources(world).flat().length >= shipped.length + between.length + after.length, 15_000, "every line in S3");

    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(sources(world)).toEqual([after, [...shipped, ...between]]);
  });

  it("a copytruncate during an S3 outage, the file written again past the read offset: nothing lost, nothing cut", { timeout: 150_000 }, async () => {
    const app = join(world.logs, "app.log");
    const shipped = numbered("shipped", 10);
    const during = numbered("during", 30);
    const after = numbered("after", 300);
    const daemon = await daemonPast(app, shipped);

    // Every upload slot ends up held by a retrying upload; the file's next poll waits for one.
    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown" });
    for (const line of during) {
      await appendFile(app, `${line}\n`);
      await sleep(200);
    }
    await copyTruncate(app);
    // Longer than everything read before the truncation: a size check alone sees nothing.
    await appendFile(app, `${after.join("\n")}\n`);
    await sleep(2_000);
    world.s3.clearFaults();
    const total = shipped.length + during.length + after.length;
    await waitFor(() => sources(world).flat().length >= total, 120_000, "every line in S3 once S3 is back");

    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(sources(world)).toEqual([after, [...shipped, ...during]]);
  });

  it("a long line streaming during an S3 outage, the file copytruncated and written again past it: the line comes whole from the copy", { timeout: 150_000 }, async () => {
    const app = join(world.logs, "app.log");
    const shipped = numbered("shipped", 10);
    // Longer than --batch-max-bytes (8 MiB), so streamed from the file; random, so that gzip
    // leaves it longer than one 8 MiB part and the stream reads on after the first part.
    const long = `long-${randomBytes(15 * 1024 * 1024).toString("base64")}`;
    // About 24 MiB: past the end of the long line, so reading on never meets the end of the file.
    const after = Array.from({ length: 240_000 }, (_, i) => `after-${String(i).padStart(6, "0")}-${"y".repeat(90)}`);
    const daemon = await daemonPast(app, shipped);

    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown" });
    await appendFile(app, `${long}\n`);
    await waitFor(() => world.s3.requests.some((request) => request.status === 503), 10_000, "the long line's upload refused");
    await copyTruncate(app);
    await appendFile(app, `${after.join("\n")}\n`);
    await sleep(1_000);
    world.s3.clearFaults();
    const total = shipped.length + 1 + after.length;
    await waitFor(() => sources(world).flat().length >= total, 120_000, "every line in S3 once S3 is back");

    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    const [newContent, oldContent] = sources(world);
    expect(newContent).toEqual(after);
    expect(oldContent?.length).toBe(shipped.length + 1);
    expect(oldContent?.slice(0, shipped.length)).toEqual(shipped);
    expect(oldContent?.[shipped.length] === long, "the long line, whole").toBe(true);
  });
});
