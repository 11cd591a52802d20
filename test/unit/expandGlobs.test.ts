import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expandGlobs } from "../../src/source/expandGlobs.js";

describe("expandGlobs", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ship-logs-globs-"));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function expand(patterns: string[]): Promise<{ paths: string[]; errors: string[] }> {
    const errors: string[] = [];
    return expandGlobs(patterns, (path, error) => errors.push(`${path} ${error.code ?? ""}`)).then((paths) => ({ paths, errors }));
  }

  it("finds plain paths and glob matches; a plain path that does not exist yet is no error", async () => {
    mkdirSync(join(dir, "logs"));
    writeFileSync(join(dir, "logs", "a.log"), "a\n");
    writeFileSync(join(dir, "logs", "b.txt"), "b\n");
    writeFileSync(join(dir, "plain.log"), "p\n");
    expect(await expand([join(dir, "logs", "*.log"), join(dir, "plain.log"), join(dir, "later.log")])).toEqual({
      paths: [join(dir, "logs", "a.log"), join(dir, "plain.log")],
      errors: [],
    });
  });

  it("reports a plain path that cannot be reached, as it does a directory that cannot be listed", async () => {
    // A symlink loop fails with ELOOP, for root too (permissions would not).
    symlinkSync(join(dir, "loop-b"), join(dir, "loop-a"));
    symlinkSync(join(dir, "loop-a"), join(dir, "loop-b"));
    expect(await expand([join(dir, "loop-a", "app.log"), join(dir, "loop-a", "*.log")])).toEqual({
      paths: [],
      errors: [`${join(dir, "loop-a", "app.log")} ELOOP`, `${join(dir, "loop-a")} ELOOP`],
    });
  });
});
