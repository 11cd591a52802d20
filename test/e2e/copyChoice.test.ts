import { appendFile, copyFile, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acknowledgedOffset, baseArgs, linesInS3, runCli, startDaemon, startWorld, waitFor, type World } from "../support/world.js";

/*
 * Which sibling is a copytruncate's copy (docs/delivery.md, "copytruncate").
 * The head a file is recognised by is fixed at its first batch: 39 bytes for
 * a quiet log that first shipped a banner, a KiB of NULs for one whose writer
 * lacks O_APPEND. Other files beside it can start the same: another watched
 * log, an older copy, an unrelated file. Taking one of them for the copy
 * loses the real copy's unread lines, or ships the other file's bytes under
 * this file's source id. Sibling names are chosen to sort (readdir order,
 * which Node sorts) before the real copy, where a first-match search looked.
 */

const BANNER = "worker starting (v1.4.2)\nconfig loaded\n";
/** What a writer without O_APPEND leaves at the head after an earlier copytruncate. */
const NULS = Buffer.alloc(4096);

function numbered(tag: string, count: number): string {
  return Array.from({ length: count }, (_, i) => `${tag} ${String(i).padStart(3, "0")}\n`).join("");
}

/** Every line in S3, NULs dropped (a line that starts after NULs shows as itself). */
function allLines(world: World): string[] {
  return [...linesInS3(world).values()].flat().map((line) => line.replace(/\0/g, ""));
}

function count(world: World, line: string): number {
  return allLines(world).filter((shipped) => shipped === line).length;
}

/** logrotate's copytruncate to `copy`, with nothing written between the copy and the truncation. */
async function copyTruncate(path: string, copy: string): Promise<void> {
  await copyFile(path, copy);
  await truncate(path, 0);
}

/** app.log and an older copy, both starting with NULs; the copy a week old, as logrotate's dateext leaves it. */
async function nulsAndOldCopy(world: World): Promise<string> {
  const app = join(world.logs, "app.log");
  const old = `${app}-20261201`;
  await writeFile(old, Buffer.concat([NULS, Buffer.from(numbered("old line", 100))]));
  const weekAgo = new Date(Date.now() - 7 * 24 * 3600 * 1000);
  await utimes(old, weekAgo, weekAgo);
  await writeFile(app, Buffer.concat([NULS, Buffer.from(numbered("cur line", 10))]));
  return app;
}

/** An unwatched file beside app.log that starts with the same NULs and is long enough to hold what was read. */
async function unrelatedWithNuls(world: World): Promise<string> {
  const path = join(world.logs, "admin-notes.txt");
  await writeFile(path, Buffer.concat([NULS, Buffer.from(numbered("unrelated line", 100))]));
  return path;
}

describe("copytruncate: choosing the copy among siblings with the same head", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  describe("--once", () => {
    it("a watched sibling with the same banner does not hide the real copy: its unshipped line arrives", async () => {
      const a = join(world.logs, "a.log");
      const b = join(world.logs, "b.log");
      await writeFile(a, `${BANNER}queue a: job 1 done\nqueue a: job 2 done\n`);
      await writeFile(b, BANNER);
      expect((await runCli([...baseArgs(world), "--once"])).code).toBe(0);
      await appendFile(b, "queue b: job 1 done\n");
      await copyTruncate(b, `${b}.1`);

      const run = await runCli([...baseArgs(world), "--once"]);
      expect(run.code, run.stderr.slice(-3000)).toBe(0);
      expect(run.stderr).not.toMatch(/lost/);
      expect(count(world, "queue b: job 1 done"), run.stderr.slice(-3000)).toBe(1);
      expect(count(world, "queue a: job 1 done")).toBe(1);
    });

    it("an older dateext copy with the same head is not taken for the copy: no foreign lines, every line once", async () => {
      const app = await nulsAndOldCopy(world);
      expect((await runCli([...baseArgs(world, app), "--once", "--compression", "none"])).code).toBe(0);
      await appendFile(app, "cur line unshipped\n");
      await copyTruncate(app, `${app}-20261207`);

      const run = await runCli([...baseArgs(world, app), "--once", "--compression", "none"]);
      expect(run.code, run.stderr.slice(-3000)).toBe(0);
      expect(allLines(world).filter((line) => line.startsWith("old line")), "lines of last week's copy shipped").toEqual([]);
      expect(count(world, "cur line 000"), "shipped once").toBe(1);
      expect(count(world, "cur line 009"), "shipped once").toBe(1);
      expect(count(world, "cur line unshipped")).toBe(1);
    });

    it("an unrelated, unwatched file with the same head is not taken for the copy: its content is not uploaded", async () => {
      const app = await nulsAndOldCopy(world);
      await unrelatedWithNuls(world);
      expect((await runCli([...baseArgs(world, app), "--once", "--compression", "none"])).code).toBe(0);
      await appendFile(app, "cur line unshipped\n");
      await copyTruncate(app, `${app}-20261207`);

      const run = await runCli([...baseArgs(world, app), "--once", "--compression", "none"]);
      expect(run.code, run.stderr.slice(-3000)).toBe(0);
      expect(allLines(world).filter((line) => line.startsWith("unrelated line")), "an unwatched file's lines shipped").toEqual([]);
      expect(count(world, "cur line 000"), "shipped once").toBe(1);
      expect(count(world, "cur line unshipped")).toBe(1);
    });
  });

  describe("daemon", () => {
    /** A daemon (flush interval 1 s) that has had the first lines of each of `paths` acknowledged. */
    async function daemonPast(watch: string, paths: readonly string[]): Promise<ReturnType<typeof startDaemon>> {
      const daemon = startDaemon([...baseArgs(world, watch), "--flush-interval", "1", "--compression", "none"]);
      await daemon.waitForLog(/"msg":"watching"/);
      for (const path of paths) await waitFor(async () => (await acknowledgedOffset(world, path)) > 0, 10_000, `${path}'s first lines acknowledged`);
      return daemon;
    }

    it("a followed sibling with the same banner does not hide the real copy: its unread line arrives", async () => {
      const a = join(world.logs, "a.log");
      const b = join(world.logs, "b.log");
      await writeFile(a, `${BANNER}queue a: job 1 done\n`);
      await writeFile(b, BANNER);
      const daemon = await daemonPast(join(world.logs, "*.log"), [a, b]);
      // Written and rotated well within one flush interval: not read yet.
      await appendFile(b, "queue b: job 1 done\n");
      await copyTruncate(b, `${b}.1`);
      await daemon.waitForLog(/file was (copied and )?truncated/);
      await waitFor(() => count(world, "queue b: job 1 done") > 0, 10_000, "b.log's last line in S3").catch(() => undefined);

      const result = await daemon.stop("SIGTERM");
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(result.stderr).not.toMatch(/those bytes are lost/);
      expect(count(world, "queue b: job 1 done"), result.stderr.slice(-3000)).toBe(1);
    });

    it("an older dateext copy with the same head is not taken for the copy: no foreign lines, every line once", async () => {
      const app = await nulsAndOldCopy(world);
      const daemon = await daemonPast(app, [app]);
      await appendFile(app, "cur line unshipped\n");
      await copyTruncate(app, `${app}-20261207`);
      await daemon.waitForLog(/file was (copied and )?truncated/);
      await waitFor(() => count(world, "cur line unshipped") > 0, 10_000, "the unread line in S3").catch(() => undefined);

      const result = await daemon.stop("SIGTERM");
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(allLines(world).filter((line) => line.startsWith("old line")), "lines of last week's copy shipped").toEqual([]);
      expect(count(world, "cur line 000"), "shipped once").toBe(1);
      expect(count(world, "cur line unshipped"), result.stderr.slice(-3000)).toBe(1);
    });

    it("an unrelated, unwatched file with the same head is not taken for the copy: its content is not uploaded", async () => {
      const app = await nulsAndOldCopy(world);
      await unrelatedWithNuls(world);
      const daemon = await daemonPast(app, [app]);
      await appendFile(app, "cur line unshipped\n");
      await copyTruncate(app, `${app}-20261207`);
      await daemon.waitForLog(/file was (copied and )?truncated/);
      await waitFor(() => count(world, "cur line unshipped") > 0, 10_000, "the unread line in S3").catch(() => undefined);

      const result = await daemon.stop("SIGTERM");
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(allLines(world).filter((line) => line.startsWith("unrelated line")), "an unwatched file's lines shipped").toEqual([]);
      expect(count(world, "cur line 000"), "shipped once").toBe(1);
      expect(count(world, "cur line unshipped"), result.stderr.slice(-3000)).toBe(1);
    });
  });
});
