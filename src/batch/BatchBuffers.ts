/** After this long with no buffer lent out, the free ones are dropped: a burst does not pin its memory. */
const IDLE_TRIM_MS = 10_000;

/**
 * At most `limit` read buffers, lent out and given back: a compression
 * chunk each (a whole batch when uploads are not compressed; see
 * `encodeBufferBytes`). A fresh buffer per batch is external memory that V8
 * returns only at its next collection, so a backlog kept 100+ MiB of dead
 * batches resident and spent a fifth of the main thread collecting them;
 * reusing a few buffers avoids both. The limit bounds the raw bytes in memory
 * by itself.
 */
export class BatchBuffers {
  private readonly free: Buffer[] = [];
  private readonly waiters: Array<(buffer: Buffer) => void> = [];
  private lent = 0;
  private readonly trim = setTimeout(() => {
    if (this.lent === 0) this.free.length = 0;
  }, IDLE_TRIM_MS).unref();

  constructor(
    readonly size: number,
    readonly limit: number,
  ) {}

  /** A buffer of `size` bytes, once fewer than `limit` are lent out. */
  async take(): Promise<Buffer> {
    if (this.lent >= this.limit) return new Promise((resolve) => this.waiters.push(resolve));
    // Allocated before it counts as lent: an allocation that throws must not use up the limit.
    const buffer = this.free.pop() ?? Buffer.allocUnsafe(this.size);
    this.lent += 1;
    return buffer;
  }

  /** Returns a buffer from `take`; nothing may read or write it afterwards. */
  give(buffer: Buffer): void {
    const next = this.waiters.shift();
    if (next) {
      next(buffer);
      return;
    }
    this.lent -= 1;
    this.free.push(buffer);
    if (this.lent === 0) this.trim.refresh();
  }

  /** How many free buffers the pool holds (for tests). */
  get held(): number {
    return this.free.length;
  }
}
