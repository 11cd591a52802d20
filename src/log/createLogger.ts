import type { Logger, LevelWithSilent } from "pino";
import { requirePackage } from "../loading/requirePackage.js";
import { LogDestination } from "./LogDestination.js";

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

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: "ship-logs",
      level: options.level,
      redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    new LogDestination(options.fd ?? 2),
  );
}
