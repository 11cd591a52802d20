import { appendFile, copyFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acknowledgedOffset, baseArgs, linesBySource, startDaemon, startWorld, waitFor, type World } from "../support/world.js";

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

describe("copytruncate", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  it("lines not yet read when the file is copied and truncated are shipped from the copy", async () => {
    const app = join(world.logs, "app.log");
    const shipped = numbered("shipped", 10);
    const unread = numbered("unread", 100);
    const after = numbered("after", 5);
    await appendFile(app, `${shipped.join("\n")}\n`);
    const daemon = startDaemon([...baseArgs(world), "--flush-interval", "1"]);
    await daemon.waitForLog(/"msg":"watching"/);
    // Acknowledged, not just stored: the daemon knows the head it recognises the copy by.
    await waitFor(async () => (await acknowledgedOffset(world, app)) > 0, 10_000, "the first lines acknowledged");

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
});
