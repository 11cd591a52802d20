import { errorMessage } from "../log/errorMessage.js";

/** What an operator can do about a code a state save fails with, when it is not plain. */
const ADVICE: Readonly<Record<string, string>> = {
  EMFILE: "too many open files: raise LimitNOFILE= or ulimit -n",
  ENFILE: "the system's open file table is full",
  EFBIG: "the file size limit is too low: raise LimitFSIZE= or ulimit -f",
  EDQUOT: "the disk quota is exhausted",
};

/**
 * A state save that failed where the run cannot go on: one line for the
 * operator (`ship-logs: cannot write to state directory DIR: CODE`), not a
 * stack trace. The CLI reports it as it does a FatalError (exit 1).
 */
export class StateSaveError extends Error {
  override readonly name = "StateSaveError";
  readonly code: string | undefined;

  constructor(dir: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code;
    const advice = code === undefined ? undefined : ADVICE[code];
    super(`cannot write to state directory ${dir}: ${code ?? errorMessage(cause)}${advice === undefined ? "" : ` (${advice})`}`, { cause });
    this.code = code;
  }
}
