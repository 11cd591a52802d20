// @ts-check

/**
 * One shared link of `mibPerSecond`, as an instance's network: every request
 * body, whichever connection it arrives on, queues behind the bytes already
 * admitted. Idle time earns at most `burstMs` of credit, like a token bucket.
 */
export class IngestThrottle {
  /** @type {number} */
  #bytesPerMs;
  #burstMs;
  /** performance.now() at which the link is free again. */
  #freeAt = 0;

  /** @param {number} mibPerSecond @param {number} [burstMs] */
  constructor(mibPerSecond, burstMs = 20) {
    this.#bytesPerMs = (mibPerSecond * 1024 * 1024) / 1000;
    this.#burstMs = burstMs;
  }

  /**
   * Admits `bytes` and says how long the reader must now wait before reading
   * more (0: carry on). Pausing the socket is what pushes back on the sender.
   * @param {number} bytes
   * @returns {number} milliseconds
   */
  take(bytes) {
    const now = performance.now();
    this.#freeAt = Math.max(this.#freeAt, now - this.#burstMs) + bytes / this.#bytesPerMs;
    return Math.max(0, this.#freeAt - now);
  }
}
