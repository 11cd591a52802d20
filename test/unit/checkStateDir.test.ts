import { chown, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkStateDir } from "../../src/check/checkFiles.js";

const asRoot = process.getuid?.() === 0;

describe("checkStateDir", () => {
  let dir: string;
  let victim: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "check-state-"));
    victim = join(dir, "victim");
    await writeFile(victim, "content\n", { mode: 0o644 });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("its probe is a new file, never written through a link planted at its name", async () => {
    const state = join(dir, "state");
    await mkdir(state, { mode: 0o700 });
    await symlink(victim, join(state, `.check-${process.pid}`));
    expect(await checkStateDir(state)).toMatchObject({ status: "ok" });
    expect(await readFile(victim, "utf8")).toBe("content\n");
    expect(await readdir(state)).toEqual([]);
  });

  it.skipIf(!asRoot)("a state dir another user owns: a warning that ship-logs as this user refuses it, and nothing written in it", async () => {
    const state = join(dir, "state");
    await mkdir(state, { mode: 0o777 });
    await chown(state, 65534, 65534);
    await symlink(victim, join(state, `.check-${process.pid}`));
    const result = await checkStateDir(state);
    expect(result).toMatchObject({ name: "state dir", status: "warn", detail: `${state} is owned by uid 65534, not root, the user ship-logs runs as (uid 0): not written by this check` });
    expect(result.fix).toMatch(/^ship-logs run as uid 0 refuses it .*fine if the service runs as uid 65534/);
    expect(await readFile(victim, "utf8")).toBe("content\n");
  });
});
