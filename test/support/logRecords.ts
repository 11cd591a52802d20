/** One pino line of the shipper's log (stderr), parsed. */
export interface LogRecord {
  level: number;
  time: string;
  msg: string;
  [field: string]: unknown;
}

export const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** The JSON log lines in `stderr`; anything else (none expected) is skipped. */
export function logRecords(stderr: string): LogRecord[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogRecord];
      } catch {
        return [];
      }
    });
}

/** Log records whose message matches `pattern`. */
export function logsMatching(stderr: string, pattern: RegExp): LogRecord[] {
  return logRecords(stderr).filter((record) => pattern.test(record.msg));
}
