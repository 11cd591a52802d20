/** Something to wait on without a timer: nothing ever notifies it. */
const NEVER_NOTIFIED = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks the thread for `ms`: for a synchronous write that must wait for a
 * full pipe (EAGAIN) without giving the event loop a turn in between.
 */
export function sleepSync(ms: number): void {
  Atomics.wait(NEVER_NOTIFIED, 0, 0, ms);
}
