import { rename } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { openNewFile } from "../fs/openNewFile.js";
import { monotonicNow } from "../time/monotonicNow.js";
import { RUNTIME_STATUS_FILE, type RuntimeStatus } from "./RuntimeStatus.js";

const HOUR_MS = 3_600_000;

/** What the daemon fills in of its runtime status. */
type RuntimeSnapshot = Omit<RuntimeStatus, "pid" | "startedAt" | "updatedAt" | "putsLastHour">;

/**
 * Writes the daemon's runtime status into the state dir every few seconds, so
 * `ship-logs status` can answer without a network port. Not fsync'd: it is a
 * report, rebuilt on the next write, unlike the checkpoints.
 */
export class StatusWriter {
  private timer: NodeJS.Timeout | undefined;
  /**
   * (monotonicNow(), objects uploaded so far) samples, for the PUT rate over
   * the last hour: on the wall clock, a step back kept samples in the window
   * for the size of the step, and a step forward emptied it.
   */
  private readonly samples: Array<[number, number]> = [];
  private readonly startedAt = new Date().toISOString();
  private failed = false;
  /** The last write queued. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly snapshot: () => RuntimeSnapshot | Promise<RuntimeSnapshot>,
    private readonly objectsUploaded: () => number,
    private readonly logger: Logger,
  ) {}

  start(intervalMs = 5_000): void {
    void this.write();
    this.timer = setInterval(() => void this.write(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.write();
  }

  private putsLastHour(now: number): number {
    const objects = this.objectsUploaded();
    this.samples.push([now, objects]);
    while (this.samples.length > 1 && (this.samples[1] as [number, number])[0] <= now - HOUR_MS) this.samples.shift();
    const [, first] = this.samples[0] as [number, number];
    return objects - first;
  }

  /** Two writes into the one temporary file at once could leave a longer write's tail after a shorter one. */
  private write(): Promise<void> {
    this.writing = this.writing.then(() => this.writeNow());
    return this.writing;
  }

  private async writeNow(): Promise<void> {
    let snapshot: RuntimeSnapshot;
    try {
      snapshot = await this.snapshot();
    } catch (error) {
      // Never a rejection out of the timer's write: it would end the process.
      this.logger.warn({ err: (error as Error).message }, "cannot take the runtime status");
      return;
    }
    const status: RuntimeStatus = {
      pid: process.pid,
      startedAt: this.startedAt,
      // Wall clock: `status` compares it with its own to tell a running daemon.
      updatedAt: new Date().toISOString(),
      putsLastHour: this.putsLastHour(monotonicNow()),
      ...snapshot,
    };
    const path = join(this.dir, RUNTIME_STATUS_FILE);
    try {
      // A fixed name: never written through a link someone planted at it.
      const handle = await openNewFile(`${path}.tmp`);
      try {
        await handle.writeFile(JSON.stringify(status));
      } finally {
        await handle.close();
      }
      await rename(`${path}.tmp`, path);
      this.failed = false;
    } catch (error) {
      if (!this.failed) this.logger.warn({ code: (error as NodeJS.ErrnoException).code }, "cannot write status.json");
      this.failed = true;
    }
  }
}
