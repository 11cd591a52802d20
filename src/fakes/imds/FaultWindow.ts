/**
 * A fault that lasts for a window of time: `forMs` milliseconds, or until ended when `forMs` is
 * 0/undefined. Ending it (by timer or explicitly) runs the fault's undo action exactly once.
 */
export class FaultWindow {
  #isOpen = false;
  #timer: NodeJS.Timeout | undefined;
  #onEnd: (() => void) | undefined;

  get isOpen(): boolean {
    return this.#isOpen;
  }

  /** Opens the window; an already open one is ended first so its undo action still runs. */
  open(forMs: number | undefined, onEnd?: () => void): void {
    this.end();
    this.#isOpen = true;
    this.#onEnd = onEnd;
    if (forMs !== undefined && forMs > 0) this.#timer = setTimeout(() => this.end(), forMs);
  }

  end(): void {
    if (!this.#isOpen) return;
    clearTimeout(this.#timer);
    const onEnd = this.#onEnd;
    this.#isOpen = false;
    this.#timer = undefined;
    this.#onEnd = undefined;
    onEnd?.();
  }
}
