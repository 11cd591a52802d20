import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expandGlobs, MAX_WALK_DEPTH } from "../../src/source/expandGlobs.js";
import { PathsProvider } from "../../src/source/PathsProvider.js";

describe("PathsProvider", () => {
  let dir: string;
  let provider: PathsProvider | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ship-logs-paths-"));
  });

  afterEach(async () => {
    await provider?.close();
    provider = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("sees new files exactly as deep below the base as the scan walks: the watcher and the walk agree on the limit", async () => {
    const levels = MAX_WALK_DEPTH + 1;
    const dirs: string[] = [];
    let at = join(dir, "logs");
    for (let level = 1; level <= levels; level++) {
      at = join(at, String(level));
      dirs.push(at);
    }
    mkdirSync(at, { recursive: true });
    const pattern = join(dir, "logs", "**", "*.log");
    const added = new Set<string>();
    provider = new PathsProvider([pattern], { added: (path) => added.add(path), changed: () => {}, error: () => {} });
    provider.start();
    const watcher = (provider as unknown as { watcher: { once(event: "ready", listener: () => void): void } }).watcher;
    await new Promise<void>((resolve) => watcher.once("ready", resolve));
    const files = dirs.map((d, i) => join(d, `d${i + 1}.log`));
    for (const file of files) writeFileSync(file, "x\n");
    const reachable = files.slice(0, MAX_WALK_DEPTH);
    const deadline = Date.now() + 10_000;
    while (reachable.some((file) => !added.has(file)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // Long enough for an event of the file past the limit, were there one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...added].sort()).toEqual([...reachable].sort());
    expect(await expandGlobs([pattern])).toEqual([...reachable].sort());
  }, 20_000);
});
