import fc from "fast-check";
import { appendFile, copyFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  baseArgs,
  linesBySource,
  processHoldsOpen,
  savedCheckpoints,
  startDaemon,
  startWorld,
  waitFor,
  type DaemonProcess,
  type World,
} from "../support/world.js";

/*
 * Model-based test of the tailer, in the style of Vector's
 * lib/file-source/src/file_watcher/tests: fast-check generates a sequence of
 * file-system actions on `app.log`, an interpreter performs them while the
 * real daemon runs, and a model says which lines must end up in S3. After
 * SIGTERM, the objects of each source id must hold exactly the lines of one
 * "epoch" of the model (a file's content from its creation or last truncation
 * to its rotation, deletion or next truncation), in order, each once; a line
 * that never got its newline must appear nowhere.
 *
 * What the interpreter waits for, and why (docs/delivery.md states these limits):
 * - Before a file is renamed away or deleted, the daemon must hold it open
 *   (checked through /proc/PID/fd). A file created and removed before the
 *   daemon ever saw it cannot be shipped by anyone; everything after that
 *   first open is read through the descriptor.
 * - Before a plain truncation, the daemon must have shipped every complete
 *   line: bytes it had not read are gone. Before a copytruncate, it must have
 *   had some of the file acknowledged (state.json): the daemon recognises the
 *   copy by the head it shipped and finishes the rest from there. We wait instead of
 *   modelling losses as "allowed", so the assertion stays exact (zero loss).
 *   The one loss left, lines written between the copy and the truncation,
 *   cannot happen here: the interpreter does both in one step.
 * - After a truncation, the daemon must notice it (its log says so) before
 *   the next write: a refill past the old read position between two polls is
 *   indistinguishable from growth by size alone (also documented).
 *
 * Reproduce with MODEL_SEED=<seed> (fast-check prints it on failure);
 * MODEL_RUNS sets the number of runs (default 10; each run starts a daemon).
 */

const RUNS = Number(process.env.MODEL_RUNS ?? 10);
const SEED = process.env.MODEL_SEED === undefined ? undefined : Number(process.env.MODEL_SEED);
const TRUNCATION_NOTICED = /file was (truncated(; reading it from the start| before all of it was read)|copied and truncated)/g;

type Action =
  | { kind: "write"; lines: number }
  | { kind: "writePartial" }
  | { kind: "rotate" }
  | { kind: "copytruncate" }
  | { kind: "truncate" }
  | { kind: "delete" }
  | { kind: "recreate" }
  | { kind: "pause"; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("write" as const), lines: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 50, max: 200 })) }) },
  { weight: 2, arbitrary: fc.constant({ kind: "writePartial" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "rotate" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "copytruncate" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "truncate" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "recreate" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("pause" as const), ms: fc.integer({ min: 0, max: 600 }) }) },
);

/** The lines the file at `app.log` holds, and every epoch that ever existed. */
class Model {
  readonly epochs: string[][] = [];
  /** Complete lines of the current content; undefined while no file exists. */
  epoch: string[] | undefined;
  /** A line written without its newline (yet). */
  partial: { line: string; written: number } | undefined;
  private next = 0;

  constructor(private readonly run: number) {}

  nextLine(): string {
    return `run-${this.run}-line-${this.next++}`;
  }

  /** New content at the path: created, recreated, or truncated. */
  startEpoch(): string[] {
    this.epoch = [];
    this.epochs.push(this.epoch);
    this.partial = undefined;
    return this.epoch;
  }

  /** The content went away from the path (renamed, deleted): its partial line never completes. */
  endFile(): void {
    this.epoch = undefined;
    this.partial = undefined;
  }
}

/** Performs actions on the real file system while the daemon runs, keeping the model in step. */
class Interpreter {
  readonly model: Model;
  private readonly path: string;

  constructor(
    private readonly world: World,
    private readonly daemon: DaemonProcess,
    run: number,
  ) {
    this.model = new Model(run);
    this.path = join(world.logs, "app.log");
  }

  async perform(step: Action): Promise<void> {
    switch (step.kind) {
      case "write":
        return this.write(step.lines);
      case "writePartial":
        return this.writePartial();
      case "rotate":
        return this.rotate();
      case "copytruncate":
        return this.truncate(true);
      case "truncate":
        return this.truncate(false);
      case "delete":
        return this.delete();
      case "recreate":
        return this.recreate();
      case "pause":
        await sleep(step.ms);
    }
  }

  /** Before SIGTERM: the daemon must know the current file to ship its last lines. */
  async finish(): Promise<void> {
    await this.ensureOpened();
  }

  private async write(count: number): Promise<void> {
    const { model } = this;
    const epoch = model.epoch ?? model.startEpoch();
    const complete: string[] = [];
    let text = "";
    if (model.partial) {
      text += `${model.partial.line.slice(model.partial.written)}\n`;
      complete.push(model.partial.line);
      model.partial = undefined;
    }
    for (let i = 0; i < count; i += 1) {
      const line = model.nextLine();
      text += `${line}\n`;
      complete.push(line);
    }
    await appendFile(this.path, text);
    epoch.push(...complete);
  }

  /** Starts a line without its newline, or writes one more of its characters. */
  private async writePartial(): Promise<void> {
    const { model } = this;
    if (model.epoch === undefined) model.startEpoch();
    if (model.partial === undefined) {
      const line = model.nextLine();
      model.partial = { line, written: 0 };
    }
    const partial = model.partial;
    const upTo = partial.written === 0 ? Math.ceil(partial.line.length / 2) : Math.min(partial.line.length, partial.written + 1);
    await appendFile(this.path, partial.line.slice(partial.written, upTo));
    partial.written = upTo;
  }

  /** logrotate's default: rename, then a new file the writer continues in. */
  private async rotate(): Promise<void> {
    if (this.model.epoch === undefined) return;
    await this.ensureOpened();
    await rename(this.path, `${this.path}.1`);
    this.model.endFile();
    await writeFile(this.path, "");
    this.model.startEpoch();
  }

  /** copytruncate (the copy goes to a name the glob does not match) or a plain truncation. */
  private async truncate(copyFirst: boolean): Promise<void> {
    const epoch = this.model.epoch;
    if (epoch === undefined) return;
    if (copyFirst) await this.ensureHeadKnown(epoch);
    else await this.ensureShipped(epoch);
    const noticedBefore = this.truncationsNoticed();
    if (copyFirst) {
      // Like logrotate, the copy is a new file: copying over the previous
      // app.log.1 in place would rewrite a rotated file the daemon may still be reading.
      await copyFile(this.path, `${this.path}.tmp`);
      await rename(`${this.path}.tmp`, `${this.path}.1`);
    }
    await truncate(this.path, 0);
    this.model.startEpoch();
    // With nothing complete read (offset 0), there is nothing to notice: reading simply goes on from 0.
    if (epoch.length > 0) {
      await waitFor(() => this.truncationsNoticed() > noticedBefore, 15_000, `truncation of ${this.path} noticed\n${this.stderrTail()}`);
    }
  }

  private async delete(): Promise<void> {
    if (this.model.epoch === undefined) return;
    await this.ensureOpened();
    await rm(this.path);
    this.model.endFile();
  }

  private async recreate(): Promise<void> {
    if (this.model.epoch !== undefined) return;
    await writeFile(this.path, "");
    this.model.startEpoch();
  }

  /** Complete lines in the current file need the daemon to hold it open before it goes away. */
  private async ensureOpened(): Promise<void> {
    if (this.model.epoch === undefined || this.model.epoch.length === 0) return;
    const pid = this.daemon.child.pid as number;
    await waitFor(() => processHoldsOpen(pid, this.path), 15_000, `the daemon to open ${this.path}\n${this.stderrTail()}`);
  }

  private async ensureShipped(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await waitFor(
      () => {
        const shipped = new Set([...linesBySource(this.world).values()].flat());
        return lines.every((line) => shipped.has(line));
      },
      15_000,
      `the daemon to ship ${lines.length} line(s) before a truncation\n${this.stderrTail()}`,
    );
  }

  /**
   * The daemon recognises a copy by the head it has had acknowledged: wait for one (when there
   * are lines at all). The checkpoint is found by the source id of the epoch's first shipped line,
   * not by inode: after an earlier truncation, a state.json not yet rewritten still holds the old
   * epoch's checkpoint under the same inode, with its offset.
   */
  private async ensureHeadKnown(lines: readonly string[]): Promise<void> {
    const first = lines[0];
    if (first === undefined) return;
    await waitFor(
      async () => {
        const source = [...linesBySource(this.world)].find(([, shipped]) => shipped.includes(first))?.[0];
        const checkpoint = (await savedCheckpoints(this.world)).find((saved) => saved.sourceId === source);
        return (checkpoint?.offset ?? 0) > 0;
      },
      15_000,
      `the daemon to have lines of ${this.path} acknowledged before a copytruncate\n${this.stderrTail()}`,
    );
  }

  private truncationsNoticed(): number {
    return [...this.daemon.stderr().matchAll(TRUNCATION_NOTICED)].length;
  }

  private stderrTail(): string {
    return this.daemon.stderr().slice(-3000);
  }
}

/** Sources and epochs compared as sets of sequences (each identified by its first line). */
function byFirstLine(sequences: Iterable<string[]>): string[][] {
  return [...sequences].filter((lines) => lines.length > 0).sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

/** One line per source in a failure message: its length and first and last lines. */
function summary(lines: string[]): string {
  return `${lines.length}: ${lines[0]} .. ${lines.at(-1)}`;
}

let runs = 0;

async function checkRun(actions: Action[]): Promise<void> {
  const run = (runs += 1);
  const world = await startWorld();
  const daemon = startDaemon([
    ...baseArgs(world, join(world.logs, "app*.log")),
    "--flush-interval", "0.3",
    "--compression", "none",
    "--batch-max-bytes", "1024",
  ]);
  try {
    await daemon.waitForLog(/"msg":"watching"/);
    const interpreter = new Interpreter(world, daemon, run);
    for (const step of actions) await interpreter.perform(step);
    await interpreter.finish();
    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    const shipped = byFirstLine(linesBySource(world).values());
    const expected = byFirstLine(interpreter.model.epochs);
    const sources = { shipped: shipped.map(summary), expected: expected.map(summary) };
    expect(shipped, `${JSON.stringify(sources, null, 1)}\n${result.stderr.slice(-4000)}`).toEqual(expected);
  } finally {
    await daemon.stop("SIGKILL");
    await world.close();
  }
}

describe("tailer model: rotation, copytruncate, truncation, deletion, partial lines", () => {
  it(
    "ships every complete line of every file epoch exactly once, in order, and no partial line",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25, size: "max" }), checkRun),
        {
          numRuns: RUNS,
          ...(SEED === undefined ? {} : { seed: SEED }),
          // Every run starts a daemon: shrinking could take many minutes, so it is opt-in.
          endOnFailure: process.env.MODEL_SHRINK === undefined,
          verbose: 1,
        },
      );
    },
    170_000,
  );
});
