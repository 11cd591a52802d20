import type { Logger, LevelWithSilent } from "pino";
import { requirePackage } from "../loading/requirePackage.js";

const { pino } = requirePackage("pino") as typeof import("pino");

/**
 * Field paths that could ever hold a credential. The code never logs credential
 * objects on purpose; redaction is the second line of defence for the day a
 * provider error or an SDK object ends up in a log call by accident.
 */
export const REDACTED_PATHS: readonly string[] = [
  "secretAccessKey",
  "sessionToken",
  "credentials",
  "*.secretAccessKey",
  "*.sessionToken",
  "*.SecretAccessKey",
  "*.Token",
  "*.credentials",
  "*.authorization",
  "*.Authorization",
  '*["x-amz-security-token"]',
  '*["x-aws-ec2-metadata-token"]',
  "*.headers",
];

export interface LoggerOptions {
  level: LevelWithSilent;
  /** File descriptor to write to; defaults to stderr so stdout stays free for the `--once` summary. */
  fd?: number;
}

/**
 * Log lines held while the log cannot be written (stderr's disk full, EIO);
 * past it, new ones are dropped: the journal is not worth the daemon's memory.
 */
const MAX_HELD_LOG_BYTES = 1024 * 1024;

export function createLogger(options: LoggerOptions): Logger {
  // Synchronous writes: a daemon that is SIGKILLed or exits right after an
  // error must not lose the line that explains why.
  const destination = pino.destination({ fd: options.fd ?? 2, sync: true, maxLength: MAX_HELD_LOG_BYTES });
  // A line that cannot be written waits for the next one (then both go), and
  // the call that logged it goes on. Unhandled, the write error is thrown out
  // of the logging call, into whatever was being logged: an upload that had
  // succeeded counted as failed and was PUT again, without end, and a stop
  // ended with exit 1 and no state saved. (pino itself stops logging at
  // EPIPE, a reader gone, and passes every other error on.)
  destination.on("error", () => undefined);
  return pino(
    {
      name: "ship-logs",
      level: options.level,
      redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
