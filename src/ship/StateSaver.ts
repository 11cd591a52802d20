import type { ShipState, StateStore } from "../source/StateStore.js";

/**
 * Serialises state saves and coalesces bursts: a caller's `persist()` resolves
 * once a save that began after the call has reached the disk, so concurrent
 * uploads share fsyncs instead of queueing one each.
 */
export class StateSaver {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private lastFailure: { code: string; since: number } | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly state: ShipState,
  ) {}

  /** Where the state is saved, for the lines that say a save failed. */
  get dir(): string {
    return this.store.dir;
  }

  /**
   * While the last save failed (a full or read-only state dir): its code and
   * since when (epoch ms) saves have failed. No upload starts before its
   * intent is saved, so nothing new ships meanwhile (/readyz says so).
   */
  get failing(): { code: string; since: number } | undefined {
    return this.lastFailure;
  }

  persist(): Promise<void> {
    if (this.queued) return this.queued;
    const previous = this.running ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        const save = this.store.save(this.state);
        this.running = save;
        save.then(
          () => {
            this.lastFailure = undefined;
          },
          (error: unknown) => {
            this.lastFailure ??= { code: (error as NodeJS.ErrnoException).code ?? "error", since: Date.now() };
          },
        );
        return save.finally(() => {
          if (this.running === save) this.running = undefined;
        });
      });
    this.queued = next;
    return next;
  }
}
