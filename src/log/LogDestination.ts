import { writeSync } from "node:fs";

/** Log bytes held while the log cannot be written; past it, the oldest lines go first. */
export const MAX_HELD_LOG_BYTES = 1024 * 1024;

const EAGAIN_WAITS = 3;
const EAGAIN_WAIT_MS = 5;
/** Something to wait on for a few milliseconds without a timer: nothing ever notifies it. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Where the logger writes: synchronously, so that a daemon SIGKILLed or
 * exiting right after an error does not lose the line that explains why; and
 * never throwing, because a throw from a logging call lands in whatever was
 * being logged (an upload that had succeeded counted as failed and was PUT
 * again without end; a stop ended with exit 1 and no state saved). A line
 * that cannot be written (stderr's disk full, EIO, a reader gone, a
 * non-blocking pipe that is full) is held and written before the next one,
 * with every logging call trying again: the newest lines, up to
 * MAX_HELD_LOG_BYTES, come out once the log can be written again.
 */
export class LogDestination {
  private readonly held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    private readonly fd: number,
    private readonly maxHeldBytes: number = MAX_HELD_LOG_BYTES,
  ) {}

  write(line: string): void {
    // Lines held already: the log was not writable at the last call, and
    // waiting again at every call would hold the daemon up for as long as it lasts.
    const waits = this.held.length > 0 ? 0 : EAGAIN_WAITS;
    const bytes = Buffer.from(line, "utf8");
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    // The line just given is always tried, however long.
    while (this.heldBytes > this.maxHeldBytes && this.held.length > 1) {
      this.heldBytes -= (this.held.shift() as Buffer).length;
    }
    this.drain(waits);
  }

  private drain(waits: number): void {
    for (let next = this.held[0]; next !== undefined; next = this.held[0]) {
      let written: number;
      try {
        written = writeSync(this.fd, next);
      } catch (error) {
        // A pipe or socket (the journal) that is full for a moment: a few
        // short waits, so that the last lines before an exit still go out,
        // but never the daemon held up for as long as the reader stalls.
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || waits === 0) return;
        waits -= 1;
        Atomics.wait(PAUSE, 0, 0, EAGAIN_WAIT_MS);
        continue;
      }
      this.heldBytes -= written;
      if (written < next.length) this.held[0] = next.subarray(written);
      else this.held.shift();
    }
  }
}
