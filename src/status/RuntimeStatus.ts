import type { LifecycleNotice } from "../lifecycle/parseNotice.js";
import type { FileLag, UnreadableFile } from "../ship/Daemon.js";

/** What the running daemon tells `ship-logs status` through the state dir (no network, no secrets). */
export interface RuntimeStatus {
  pid: number;
  startedAt: string;
  updatedAt: string;
  mode: "normal" | "urgent";
  notice: LifecycleNotice | undefined;
  /** PutObject requests that succeeded in the last hour (or since start, if shorter). */
  putsLastHour: number;
  /**
   * Seconds until the cached credentials expire; never the credentials themselves.
   * null for keys without an expiry (`--credentials chain` with static keys):
   * JSON writes their Infinity as null.
   */
  credentialSecondsToExpiry: number | null | undefined;
  /**
   * False while the daemon has no credentials it can sign with (none fetched
   * yet, or expired and not renewable now): uploads wait, none is sent.
   * Absent in the status of an older release.
   */
  credentialsValid?: boolean;
  /** Since when uploads have been failing (S3 refused them, or could not be reached), if they are. */
  failingSince: string | undefined;
  files: FileLag[];
  /** Watched files the daemon cannot open (EACCES): nothing of them ships. Absent in the status of an older release. */
  unreadable?: UnreadableFile[];
}

export const RUNTIME_STATUS_FILE = "status.json";
