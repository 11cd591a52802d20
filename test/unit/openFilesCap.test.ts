import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openFilesCap, openFilesLimit } from "../../src/source/openFilesCap.js";

describe("the cap on followed files that hold a descriptor", () => {
  it("is 512 under a limit that leaves room for it, less under a lower one, never below 16", () => {
    expect(openFilesCap(undefined)).toBe(512);
    expect(openFilesCap(1024)).toBe(512);
    expect(openFilesCap(640)).toBe(512);
    expect(openFilesCap(512)).toBe(384);
    expect(openFilesCap(256)).toBe(128);
    expect(openFilesCap(64)).toBe(16);
  });

  it("reads the soft limit from /proc/self/limits; none when unlimited or unreadable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "limits-"));
    try {
      const limits = (soft: string) =>
        [
          "Limit                     Soft Limit           Hard Limit           Units     ",
          "Max file size             unlimited            unlimited            bytes     ",
          `Max open files            ${soft}                 4096                 files     `,
          "",
        ].join("\n");
      await writeFile(join(dir, "a"), limits("512"));
      expect(await openFilesLimit(join(dir, "a"))).toBe(512);
      await writeFile(join(dir, "b"), limits("unlimited"));
      expect(await openFilesLimit(join(dir, "b"))).toBeUndefined();
      expect(await openFilesLimit(join(dir, "missing"))).toBeUndefined();
      if (process.platform === "linux") expect(await openFilesLimit()).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
