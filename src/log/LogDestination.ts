import { writeSync } from "node:fs";
import { sleepSync } from "../time/sleepSync.js";

/** Log bytes held while the log cannot be written; past it, the oldest lines go first. */
export const MAX_HELD_LOG_BYTES = 1024 * 1024;

/** A journal that is slow for a moment: how long a logging call waits for it before it holds the line. */
const SLOW_WAIT_MS = 1_000;
/** How often held lines are tried while nothing is logged. */
const RETRY_MS = 250;
/** At exit: how long the held lines may take. */
const EXIT_WAIT_MS = 5_000;
const PAUSE_MS = 10;

/** Destinations holding lines: written, as far as they can be, before the process exits. */
const holding = new Set<LogDestination>();
process.on("exit", () => {
  for (const destination of holding) destination.drain(EXIT_WAIT_MS);
});

/**
 * Where the logger writes: synchronously, so that a daemon SIGKILLed or
 * exiting right after an error does not lose the line that explains why; and
 * never throwing, because a throw from a logging call lands in whatever was
 * being logged (an upload that had succeeded counted as failed and was PUT
 * again without end; a stop ended with exit 1 and no state saved).
 *
 * A line that cannot be written is held, and tried again before the next
 * one, every RETRY_MS while nothing is logged, and at exit: a full disk or
 * EIO loses nothing while the lines fit in MAX_HELD_LOG_BYTES (past it, the
 * oldest go; never a line half written). A pipe or socket that is full (the
 * journal, slow for a moment) is waited for, up to SLOW_WAIT_MS at the start
 * of a stall and not during it: a stalled journal does not stall the daemon.
 */
export class LogDestination {
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  /** The first held line was partly written: it is never dropped, or its start would run into the next line. */
  private startedFirst = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly fd: number,
    private readonly maxHeldBytes: number = MAX_HELD_LOG_BYTES,
  ) {}

  write(line: string): void {
    // Lines held already: the log was not writable a moment ago, and waiting
    // at every call would hold the daemon up for as long as that lasts.
    const waitMs = this.held.length > 0 ? 0 : SLOW_WAIT_MS;
    const bytes = Buffer.from(line, "utf8");
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    // The line just given is always tried, however long.
    const keep = this.startedFirst ? 1 : 0;
    while (this.heldBytes > this.maxHeldBytes && this.held.length > keep + 1) {
      const [dropped] = this.held.splice(keep, 1);
      this.heldBytes -= (dropped as Buffer).length;
    }
    this.drain(waitMs);
  }

  /** Writes what is held, waiting up to `waitMs` for a full pipe or socket. */
  drain(waitMs: number): void {
    let waited = 0;
    for (let next = this.held[0]; next !== undefined; next = this.held[0]) {
      let written: number;
      try {
        written = writeSync(this.fd, next);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || waited >= waitMs) break;
        sleepSync(PAUSE_MS);
        waited += PAUSE_MS;
        continue;
      }
      this.heldBytes -= written;
      this.startedFirst = written < next.length;
      if (this.startedFirst) this.held[0] = next.subarray(written);
      else this.held.shift();
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.held.length === 0) {
      holding.delete(this);
      clearTimeout(this.retry);
      this.retry = undefined;
      return;
    }
    holding.add(this);
    if (this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.drain(0);
    }, RETRY_MS);
    // Held log lines never keep a process alive that is otherwise done.
    this.retry.unref();
  }
}
