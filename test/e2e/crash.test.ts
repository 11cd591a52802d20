import { appendFileSync, renameSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { baseArgs, linesBySource, runCli, shippedObjects, startDaemon, startWorld, type DaemonProcess, type World } from "../support/world.js";

/*
 * SPEC "Delivery": kill -9 at any moment loses nothing and duplicates nothing.
 * The real CLI is killed with SIGKILL twenty times: half at random moments
 * (during startup, between batches, anywhere), half once it is up and the
 * saved state holds upload intents (PUTs decided and maybe sent, not acknowledged) while a writer appends to two files and rotates one of them; each
 * kill is followed by a restart. After the final run stops with SIGTERM,
 * every line is in S3 exactly once, in file order per source. A key may have
 * been PUT more than once (an intent replayed after a crash overwrites the
 * same key with the same bytes): that is the mechanism, not a duplicate.
 *
 * Rotation rule (docs/delivery.md): a file must have been seen by some run
 * before it is rotated away; the writer rotates only after a run that
 * started after the previous rotation has logged "watching" (its startup
 * scan and checkpoints are saved by then). Rotated names are unique
 * (dateext style), so findRenamed finds every rotated file after a restart.
 *
 * CRASH_SEED reproduces the kill schedule; CRASH_CYCLES changes the count.
 */

const CYCLES = Number(process.env.CRASH_CYCLES ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded generator, so a failing kill schedule can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Appends bursts of numbered lines to a few files and rotates one of them when allowed. */
class Writer {
  readonly written = new Map<string, string[]>();
  rotations = 0;
  lastRotationAt = 0;
  /** Set once a run that started after the last rotation has saved its startup scan. */
  mayRotate = false;
  private timer: NodeJS.Timeout | undefined;
  private nextRotationAt = 0;

  constructor(
    private readonly dir: string,
    private readonly rotated: string,
    private readonly steady: string,
    private readonly rand: () => number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 5);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    for (const family of [this.rotated, this.steady]) {
      const lines = this.written.get(family) ?? [];
      this.written.set(family, lines);
      const burst: string[] = [];
      for (let i = Math.floor(this.rand() * 10); i >= 0; i -= 1) {
        burst.push(`${family}-${String(lines.length + burst.length).padStart(7, "0")} ${"x".repeat(40)}`);
      }
      appendFileSync(join(this.dir, `${family}.log`), `${burst.join("\n")}\n`);
      lines.push(...burst);
    }
    if (this.mayRotate && Date.now() >= this.nextRotationAt) this.rotate();
  }

  /** logrotate with dateext: app.log → app.log-N, and the next write creates app.log. */
  private rotate(): void {
    this.rotations += 1;
    renameSync(join(this.dir, `${this.rotated}.log`), join(this.dir, `${this.rotated}.log-${this.rotations}`));
    this.mayRotate = false;
    this.lastRotationAt = Date.now();
    this.nextRotationAt = this.lastRotationAt + 1_000 + this.rand() * 1_500;
  }
}

async function pendingIntents(world: World): Promise<number> {
  const text = await readFile(join(world.state, "state.json"), "utf8").catch(() => undefined);
  if (text === undefined) return 0;
  const doc = JSON.parse(text) as { files: Array<{ pending: unknown[] }> };
  return doc.files.reduce((sum, file) => sum + file.pending.length, 0);
}

/**
 * Returns once this run is up and the saved state holds upload intents (PUTs
 * decided, maybe sent, not yet acknowledged), or at `deadline`.
 */
async function killMomentWithIntents(world: World, daemon: DaemonProcess, deadline: number): Promise<void> {
  while (Date.now() < deadline && !/"msg":"watching"/.test(daemon.stderr())) await sleep(2);
  while (Date.now() < deadline && (await pendingIntents(world)) === 0) await sleep(2);
}

/** Lets the writer rotate once this run, started after the last rotation, has saved its startup scan. */
async function allowRotationWhenWatching(daemon: DaemonProcess, writer: Writer, startedAt: number, killed: () => boolean): Promise<void> {
  while (!killed() && !/"msg":"watching"/.test(daemon.stderr())) await sleep(10);
  if (!killed() && startedAt > writer.lastRotationAt) writer.mayRotate = true;
}

describe("crash safety: SIGKILL at random moments", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  it("a rotated file adopted at startup and killed before it drained is finished by the next run", async () => {
    const app = join(world.logs, "app.log");
    const args = [...baseArgs(world), "--flush-interval", "0.2"];
    const first = Array.from({ length: 10 }, (_, i) => `first-${i}`);
    const rest = Array.from({ length: 10 }, (_, i) => `rest-${i}`);
    appendFileSync(app, `${first.join("\n")}\n`);
    expect((await runCli([...args, "--once"])).code).toBe(0);

    // Rotated while the shipper is down; the next run adopts it (saving its
    // new name in the state) but cannot ship it before it is killed.
    appendFileSync(app, `${rest.join("\n")}\n`);
    renameSync(app, `${app}.1`);
    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown" });
    const adopting = startDaemon(args);
    await adopting.waitForLog(/finishing a file that was rotated away while stopped/);
    await adopting.waitForLog(/"msg":"watching"/);
    await adopting.stop("SIGKILL");
    world.s3.clearFaults();

    const finishing = startDaemon(args);
    await finishing.waitForLog(/"msg":"watching"/);
    const result = await finishing.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect([...linesBySource(world).values()]).toEqual([[...first, ...rest]]);
  });

  it(`${CYCLES} kills and restarts while a writer appends and rotates: every line exactly once`, async () => {
    const rand = random(SEED);
    const writer = new Writer(world.logs, "app", "steady", rand);
    const args = [...baseArgs(world), "--flush-interval", "0.2", "--batch-max-bytes", "4096"];
    const context = `CRASH_SEED=${SEED}`;
    let killsWithIntentsInFlight = 0;
    writer.start();
    try {
      for (let cycle = 0; cycle < CYCLES; cycle += 1) {
        const startedAt = Date.now();
        const daemon = startDaemon(args);
        let killed = false;
        const watching = allowRotationWhenWatching(daemon, writer, startedAt, () => killed);
        // Half the kills land at a random moment (startup included), half while intents are recorded but unconfirmed.
        if (rand() < 0.5) await sleep(rand() * 1_500);
        else await killMomentWithIntents(world, daemon, startedAt + 3_000);
        const result = await daemon.stop("SIGKILL");
        killed = true;
        await watching;
        expect(result.signal, `${context}: cycle ${cycle} died on its own\n${result.stderr.slice(-3000)}`).toBe("SIGKILL");
        if ((await pendingIntents(world)) > 0) killsWithIntentsInFlight += 1;
      }
    } finally {
      writer.stop();
    }

    const final = startDaemon(args);
    await final.waitForLog(/"msg":"watching"/);
    const result = await final.stop("SIGTERM");
    expect(result.code, `${context}\n${result.stderr.slice(-3000)}`).toBe(0);

    const written = [...writer.written.values()].flat();
    const sources = [...linesBySource(world).values()];
    const shipped = sources.flat();
    const counts = new Map<string, number>();
    for (const line of shipped) counts.set(line, (counts.get(line) ?? 0) + 1);
    const duplicated = [...counts].filter(([, count]) => count > 1).map(([line]) => line);
    const missing = written.filter((line) => !counts.has(line));
    const writtenSet = new Set(written);
    const unexpected = shipped.filter((line) => !writtenSet.has(line));
    expect({ missing: missing.length, duplicated: duplicated.length, unexpected: unexpected.length }, `${context}: ${missing.slice(0, 3).join(", ")}`).toEqual({
      missing: 0,
      duplicated: 0,
      unexpected: 0,
    });
    for (const lines of sources) {
      expect([...lines].sort(), `${context}: a source's objects hold its lines in file order`).toEqual(lines);
    }
    // The test did what it claims: kills landed while uploads were recorded but unconfirmed, and files rotated.
    expect(killsWithIntentsInFlight, context).toBeGreaterThan(0);
    expect(writer.rotations, context).toBeGreaterThanOrEqual(2);
    const replayed = shippedObjects(world).filter((object) => object.putCount > 1).length;
    console.info(
      `${context}: ${written.length} lines, ${shippedObjects(world).length} objects (${replayed} PUT again after a crash), ` +
        `${killsWithIntentsInFlight}/${CYCLES} kills with intents in flight, ${writer.rotations} rotations`,
    );
  }, 110_000);
});
