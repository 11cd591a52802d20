import { createHash } from "node:crypto";
import { appendFile, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useScenario } from "../support/scenario.js";
import { BUCKET, baseArgs, linesBySource, runCli } from "../support/world.js";
import { expectSuccess, numberedLines, writeLines } from "./onceSupport.js";

interface StateDocument {
  version: number;
  checksum: string;
  files: Array<Record<string, unknown> & { path: string; offset: number }>;
  rotationMarked?: true;
}

/**
 * An upgrade is a restart onto a newer build: the state an earlier release
 * left must keep every line. Releases before checkpoints carried `rotated`
 * moved a rotated file's checkpoint to the rotated name with no mark, and
 * read every such checkpoint to its end.
 */
/** Rewrites state.json as an earlier release wrote it: no `rotated` marks, no `rotationMarked`. */
async function makeLegacy(statePath: string, movePath: (path: string) => string = (path) => path): Promise<void> {
  const doc = JSON.parse(await readFile(statePath, "utf8")) as StateDocument;
  const files = doc.files.map(({ rotated: _rotated, ...checkpoint }) => ({ ...checkpoint, path: movePath(checkpoint.path) }));
  const legacy: StateDocument = { version: doc.version, checksum: createHash("sha256").update(JSON.stringify(files)).digest("hex"), files };
  await writeFile(statePath, JSON.stringify(legacy));
}

describe("ship-logs --once over the state of an earlier release (e2e)", () => {
  const scenario = useScenario();

  it("a rotated file that release had not finished, at a name no glob matches: read to its end, every line once", async () => {
    const world = await scenario.startWorld();
    const app = join(world.logs, "app.log");
    const before = numberedLines("before", 100);
    const after = numberedLines("after", 50);
    await writeLines(app, before);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    // Written, then rotated to a name --watch does not match; the earlier
    // release found it there and moved the checkpoint, unmarked, before it
    // could read on.
    await appendFile(app, after.map((line) => `${line}\n`).join(""));
    await rename(app, `${app}.1`);
    const statePath = join(world.state, "state.json");
    await makeLegacy(statePath, () => `${app}.1`);

    const run = await runCli([...baseArgs(world), "--once"]);
    expectSuccess(run);
    expect([...linesBySource(world).values()]).toEqual([[...before, ...after]]);
    expect(world.s3.listObjects(BUCKET).filter(({ object }) => object.putCount !== 1)).toEqual([]);
    // Saved with the mark: the next run reads the checkpoints as written.
    expect((JSON.parse(await readFile(statePath, "utf8")) as StateDocument).rotationMarked).toBe(true);
  });

  it("a file that release had read to its end, out of --watch at the upgrade: left alone, its later lines not shipped", async () => {
    const world = await scenario.startWorld();
    const app = join(world.logs, "app.log");
    const other = join(world.dir, "elsewhere.log");
    const before = numberedLines("before", 100);
    await writeLines(other, before);
    expectSuccess(await runCli([...baseArgs(world, other), "--once"]));
    const statePath = join(world.state, "state.json");
    await makeLegacy(statePath);
    // Taken out of --watch at the upgrade: what it gets from then on is not to be shipped.
    await writeLines(app, ["watched"]);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    await appendFile(other, "not to be shipped\n");
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    expect([...linesBySource(world).values()].flat().sort()).toEqual([...before, "watched"].sort());
  });

  it("a watched file with lines unread at the upgrade, taken out of --watch later: its later lines not shipped", async () => {
    const world = await scenario.startWorld();
    const app = join(world.logs, "app.log");
    const other = join(world.logs, "other.log");
    await writeLines(app, ["a1"]);
    await writeLines(other, ["o1"]);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    await makeLegacy(join(world.state, "state.json"));
    // Written on while the earlier release was being replaced.
    await appendFile(app, "a2\n");
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    // Later, only other.log is watched.
    await appendFile(app, "a3 not to be shipped\n");
    await appendFile(other, "o2\n");
    expectSuccess(await runCli([...baseArgs(world, other), "--once"]));
    expect([...linesBySource(world).values()].flat().sort()).toEqual(["a1", "a2", "o1", "o2"]);
  });

  it("a file taken out of --watch under the earlier release, grown since: not read again after the upgrade", async () => {
    const world = await scenario.startWorld();
    const other = join(world.dir, "elsewhere.log");
    await writeLines(other, ["o1"]);
    expectSuccess(await runCli([...baseArgs(world, other), "--once"]));
    await writeLines(join(world.logs, "app.log"), ["a1"]);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    await makeLegacy(join(world.state, "state.json"));
    await appendFile(other, "o2 not to be shipped\n");
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    expect([...linesBySource(world).values()].flat().sort()).toEqual(["a1", "o1"]);
  });
});
