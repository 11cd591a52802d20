import { appendFile, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { baseArgs, linesBySource, runCli, startDaemon, startWorld, type World } from "../support/world.js";

/*
 * SPEC "Delivery": SIGTERM / SIGINT stop reading, upload what is batched, save
 * state, exit 0. With a 60 s flush interval, only the stop flush can ship the
 * lines written just before the signal.
 */

function numbered(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}-${String(i).padStart(5, "0")}`);
}

describe("stop on SIGTERM / SIGINT", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal}: ships the lines written just before it (flush interval 60 s), keeps the partial line, exits 0`, async () => {
      const app = join(world.logs, "app.log");
      const other = join(world.logs, "other.log");
      await appendFile(app, "");
      await appendFile(other, "");
      const daemon = startDaemon([...baseArgs(world), "--flush-interval", "60", "--batch-max-bytes", "4096"]);
      await daemon.waitForLog(/"msg":"watching"/);

      const appLines = numbered("app", 500);
      const otherLines = numbered("other", 3);
      await appendFile(app, `${appLines.join("\n")}\n`);
      // Rotated right before the signal: the old file is still read through its descriptor.
      await appendFile(other, `${otherLines.join("\n")}\n`);
      await rename(other, `${other}.1`);
      await appendFile(app, "no-newline-yet");

      const startedAt = Date.now();
      const result = await daemon.stop(signal);
      const stopMs = Date.now() - startedAt;

      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(stopMs, "the stop flush does not wait for the flush interval").toBeLessThan(15_000);
      const sources = [...linesBySource(world).values()].sort((a, b) => (a[0] ?? "").localeCompare(b[0] ?? ""));
      expect(sources).toEqual([appLines, otherLines]);
      expect(sources.flat().some((line) => line.includes("no-newline-yet"))).toBe(false);

      // State saved: nothing left in flight, and a later run finds only the partial line pending.
      const state = JSON.parse(await readFile(join(world.state, "state.json"), "utf8")) as { files: Array<{ pending: unknown[] }> };
      expect(state.files.flatMap((file) => file.pending)).toEqual([]);
      const once = await runCli([...baseArgs(world), "--once"]);
      expect(once.stdout).toMatch(/ lines=0 .*pending_bytes=14 /);
    });
  }
});
