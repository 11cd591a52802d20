import { writeSync } from "node:fs";
import { sleepSync } from "../time/sleepSync.js";

const PAUSE_MS = 10;

/**
 * Writes `text` to stdout (1) or stderr (2), whole and synchronously, and
 * gives it up without a word when it cannot be written: a reader gone
 * (`--once | head -0`, a cron job's closed output), a full disk. The exit
 * code says whether the lines were shipped, not whether a summary could be
 * printed. A reader that is only slow (`--once | less`) is waited for, as a
 * blocking write would: Node and the SDK make the process's stdout and
 * stderr non-blocking once they touch them. Not through process.stdout or
 * process.stderr, on which an EPIPE ends the process with a stack trace.
 */
export function writeOutput(fd: 1 | 2, text: string): void {
  let rest = Buffer.from(text, "utf8");
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") return;
      sleepSync(PAUSE_MS);
    }
  }
}
