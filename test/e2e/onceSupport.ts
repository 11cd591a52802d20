import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { FakeS3 } from "../../src/fakes/s3/FakeS3.js";
import type { FakeS3Options } from "../../src/fakes/s3/FakeS3Options.js";
import { BUCKET, type RunResult, type World } from "../support/world.js";

/**
 * `count` distinct lines for file `tag`, numbered so that order and duplicates show, of varied
 * length (a batch cut must not depend on lines being alike) and with some non-ASCII text.
 */
export function numberedLines(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${tag} ${String(i).padStart(6, "0")} ${i % 7 === 0 ? "naïve café ✓ " : ""}${"x".repeat((i * 37) % 120)}`);
}

export async function writeLines(path: string, lines: readonly string[]): Promise<void> {
  await writeFile(path, lines.map((line) => `${line}\n`).join(""));
}

/** The UTC day as the keys spell it. */
function utcDay(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` of both ends of a run: a key's date must be one of them (a run may cross midnight). */
export async function duringRun<T>(run: () => Promise<T>): Promise<{ result: T; days: string[] }> {
  const before = utcDay();
  const result = await run();
  return { result, days: [...new Set([before, utcDay()])] };
}

/** The `--once` summary line's fields (`files=3 lines=… objects=…`) as numbers. */
export function summaryOf(run: RunResult): Record<string, number> {
  const line = run.stdout.split("\n").find((text) => text.startsWith("ship-logs: shipped "));
  expect(line, `a summary line on stdout (stdout: ${run.stdout}; stderr: ${run.stderr.slice(-2000)})`).toBeDefined();
  return Object.fromEntries(
    (line ?? "")
      .slice("ship-logs: shipped ".length)
      .split(" ")
      .map((pair) => pair.split("="))
      .map(([name, value]) => [name ?? "", Number(value)]),
  );
}

/** Exit 0: on failure show what the process said, which is what one needs to see. */
export function expectSuccess(run: RunResult): void {
  expect(run.code, `exit code (stderr: ${run.stderr.slice(-3000)})`).toBe(0);
}

/** SPEC "Exit codes": one line on stderr, no stack trace, no JSON log noise before it. */
export function expectOneCleanLine(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line.length > 0);
  expect(lines, "stderr lines").toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0] ?? "";
}

/** The last line on stderr: the operator-facing verdict after any log records. */
export function lastLine(stderr: string): string {
  return stderr.trimEnd().split("\n").at(-1) ?? "";
}

/** The parts of state.json these tests look at. */
export interface StateFile {
  files: Array<{ path: string; offset: number; pending: Array<{ start: number; end: number; key: string }> }>;
}

export async function readState(world: World): Promise<StateFile> {
  return JSON.parse(await readFile(join(world.state, "state.json"), "utf8")) as StateFile;
}

/** The checkpoint of one source file, by path. */
export function checkpointOf(state: StateFile, path: string): StateFile["files"][number] | undefined {
  return state.files.find((file) => file.path === path);
}

/** The byte range a key names (`…-<start>-<end>.log[.gz]`). */
export function rangeOfKey(key: string): { start: number; end: number } {
  const match = /-(\d{15})-(\d{15})\.log(\.gz)?$/.exec(key);
  if (match === null) throw new Error(`no byte range in key ${key}`);
  return { start: Number(match[1]), end: Number(match[2]) };
}

/** Keys in the bucket whose file segment is `fileName`, in listing (= key) order. */
export function keysOfFile(world: World, fileName: string): string[] {
  return world.s3
    .listObjects(BUCKET)
    .map(({ key }) => key)
    .filter((key) => key.includes(`/${fileName}/`) || key.includes(`/file=${fileName}/`));
}

/**
 * The world with its S3 replaced by one that trusts another authority (e.g. one that does not
 * know some key fake-imds serves). The replacement is what `linesInS3` and `baseArgs` then see.
 */
export async function withS3(world: World, options: Omit<FakeS3Options, "buckets">): Promise<World> {
  const s3 = await FakeS3.start({ ...options, buckets: [BUCKET] });
  return {
    ...world,
    s3,
    async close() {
      await s3.close();
      await world.close();
    },
  };
}

/** `args` with the value of `flag` replaced (options may not be repeated). */
export function replaceFlag(args: readonly string[], flag: string, value: string): string[] {
  const at = args.indexOf(flag);
  if (at < 0) throw new Error(`${flag} not in ${args.join(" ")}`);
  return [...args.slice(0, at + 1), value, ...args.slice(at + 2)];
}
