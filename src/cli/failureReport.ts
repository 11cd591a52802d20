import { ConfigError } from "../config/index.js";
import { printable } from "../config/quote.js";
import { StateSaveError } from "../ship/StateSaveError.js";
import { FatalError } from "../errors/FatalError.js";

/** The one line a failed command leaves on stderr, and its exit code (SPEC "Exit codes"). */
export interface FailureReport {
  line: string;
  exitCode: 1 | 2;
}

/**
 * How a command's failure reads: a configuration error is exit 2; what the
 * operator can act on (a state dir that cannot be written, a descriptor
 * limit too low for even the start, wherever it struck while modules were
 * still loading) is exit 1 in one line; anything else is a bug, reported with
 * its stack for the bug report.
 */
export function failureReport(error: unknown): FailureReport {
  if (error instanceof ConfigError) return { line: error.message, exitCode: 2 };
  // Their messages name paths (the state dir): one line whatever those hold.
  if (error instanceof FatalError || error instanceof StateSaveError) return { line: `ship-logs: ${printable(error.message)}`, exitCode: 1 };
  if ((error as NodeJS.ErrnoException | undefined)?.code === "EMFILE") {
    return { line: "ship-logs: too many open files (EMFILE): raise LimitNOFILE= or ulimit -n (at least 256)", exitCode: 1 };
  }
  return { line: `ship-logs: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, exitCode: 1 };
}

/**
 * `--once`'s exit-1 line: the first failure, and how many more the log holds.
 * One line, whatever the file names in it hold (a newline, a cursor movement).
 */
export function couldNotShipLine(failures: readonly string[]): string {
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : "";
  return `ship-logs: could not ship everything: ${printable(failures[0] ?? "")}${more}`;
}
