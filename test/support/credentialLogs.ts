import { logsMatching } from "./logRecords.js";

/** What the cache's info line "credentials refreshed" tells the operator. */
export interface RefreshedLog {
  time: number;
  accessKeyIdSuffix: string;
  expiration: string;
  forced: boolean;
}

/** Every "credentials refreshed" line so far, oldest first. */
export function refreshedLogs(stderr: string): RefreshedLog[] {
  return logsMatching(stderr, /^credentials refreshed$/).map((record) => ({
    time: Date.parse(record.time),
    accessKeyIdSuffix: String(record["accessKeyIdSuffix"]),
    expiration: String(record["expiration"]),
    forced: record["forced"] === true,
  }));
}

/** Resolves at the epoch time `at` (at once if it has passed). */
export function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}
