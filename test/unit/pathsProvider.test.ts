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

  async function started(patterns: string[], added: Set<string>): Promise<void> {
    provider = new PathsProvider(patterns, { added: (path) => added.add(path), changed: () => {}, error: () => {} });
    provider.start();
    const watcher = (provider as unknown as { watcher: { once(event: "ready", listener: () => void): void } }).watcher;
    await new Promise<void>((resolve) => watcher.once("ready", resolve));
  }

  async function until(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  it("watches the directory an escaped base names: `app \\(prod\\)` is the directory `app (prod)`", async () => {
    mkdirSync(join(dir, "app (prod)"));
    const added = new Set<string>();
    await started([`${dir}/app \\(prod\\)/*.log`], added);
    writeFileSync(join(dir, "app (prod)", "x.log"), "x\n");
    await until(() => added.size > 0);
    expect([...added]).toEqual([join(dir, "app (prod)", "x.log")]);
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
    await started([pattern], added);
    const files = dirs.map((d, i) => join(d, `d${i + 1}.log`));
    for (const file of files) writeFileSync(file, "x\n");
    const reachable = files.slice(0, MAX_WALK_DEPTH);
    await until(() => reachable.every((file) => added.has(file)));
    // Long enough for an event of the file past the limit, were there one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...added].sort()).toEqual([...reachable].sort());
    expect(await expandGlobs([pattern])).toEqual([...reachable].sort());
  }, 20_000);
});
