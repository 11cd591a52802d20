/**
 * A shared ingest budget for all connections, emulating an instance's network bandwidth:
 * each chunk read reserves its transfer time on one timeline, and the reader waits until the
 * reservation ends before pulling more, so TCP back-pressure slows the senders.
 */
export class IngestThrottle {
  readonly #bytesPerSecond: number;
  readonly #clock: () => number;
  #freeAt = 0;

  constructor(bytesPerSecond: number, clock: () => number = () => performance.now()) {
    if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) {
      throw new RangeError("maxBytesPerSecond must be a positive finite number");
    }
    this.#bytesPerSecond = bytesPerSecond;
    this.#clock = clock;
  }

  /** Reserves `bytes` of bandwidth; returns how many ms to wait before reading more. */
  reserve(bytes: number): number {
    const now = this.#clock();
    this.#freeAt = Math.max(now, this.#freeAt) + (bytes * 1000) / this.#bytesPerSecond;
    return this.#freeAt - now;
  }
}
