import { writeSync } from "node:fs";

/** How long output to a full pipe is waited for before it is given up. */
const WAIT_MS = 2_000;
const PAUSE_MS = 10;
/** Something to wait on for a few milliseconds without a timer: nothing ever notifies it. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `text` to stdout (1) or stderr (2), whole and synchronously, and
 * gives it up without a word when it cannot be written: a reader gone
 * (`--once | head -0`, a cron job's closed output), a full disk. The exit
 * code says whether the lines were shipped, not whether a summary could be
 * printed. Not through process.stdout or process.stderr: creating them makes
 * a pipe's descriptor non-blocking for the whole process, and an unhandled
 * EPIPE on them ends it with a stack trace.
 */
export function writeOutput(fd: 1 | 2, text: string): void {
  let rest = Buffer.from(text, "utf8");
  let waited = 0;
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || waited >= WAIT_MS) return;
      Atomics.wait(PAUSE, 0, 0, PAUSE_MS);
      waited += PAUSE_MS;
    }
  }
}
