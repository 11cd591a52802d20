import type { Logger } from "pino";
import { monotonicNow } from "../time/monotonicNow.js";

/** How often a kind of error that keeps coming is said again, with its count. */
export const REPEAT_INTERVAL_MS = 60_000;

interface Kind {
  /** When the current interval of this kind began (monotonic ms). */
  since: number;
  /** Errors of this kind in the interval not yet said. */
  repeated: number;
  /** The latest of them, for an example. */
  last: string;
}

/**
 * Says errors that may come in floods (a file watcher meeting thousands of
 * looping links a local user planted) once per kind (errno code) per
 * interval: the first at once, with its message; the ones after it counted
 * and said as one line when the interval is over, like the upload retrier's
 * one line per kind of failure in a streak. A kind quiet for a whole
 * interval is forgotten, so its next error is said at once again.
 */
export class RepeatedErrors {
  private readonly kinds = new Map<string, Kind>();

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    private readonly intervalMs = REPEAT_INTERVAL_MS,
    private readonly now: () => number = monotonicNow,
  ) {}

  report(error: Error): void {
    const now = this.now();
    this.summarize(now);
    const code = (error as NodeJS.ErrnoException).code ?? "unknown";
    const kind = this.kinds.get(code);
    if (kind !== undefined) {
      kind.repeated += 1;
      kind.last = error.message;
      return;
    }
    this.kinds.set(code, { since: now, repeated: 0, last: error.message });
    this.logger.warn({ code, err: error.message }, this.message);
  }

  /**
   * Says the count of each kind whose interval is over (every kind with
   * `all`, at stop: nothing counted goes unsaid).
   */
  summarize(now = this.now(), all = false): void {
    for (const [code, kind] of this.kinds) {
      if (!all && now - kind.since < this.intervalMs) continue;
      if (kind.repeated === 0) {
        this.kinds.delete(code);
        continue;
      }
      this.logger.warn(
        { code, repeated: kind.repeated, seconds: Math.round((now - kind.since) / 1000), lastErr: kind.last },
        `${this.message} (repeated)`,
      );
      kind.since = now;
      kind.repeated = 0;
      if (all) this.kinds.delete(code);
    }
  }
}
