/** An upload decided but not yet acknowledged by S3 (SPEC "What lands in S3"). */
export interface UploadIntent {
  start: number;
  end: number;
  key: string;
}

/**
 * What the state remembers of one source file. A checkpoint belongs to an
 * identity (device, inode and content fingerprint), not to a path: after a
 * rename the same checkpoint follows the file.
 */
export interface FileCheckpoint {
  /** Stable id used in object keys: the identity when the file was first seen. */
  sourceId: string;
  /** The path the file was last seen at. */
  path: string;
  dev: string;
  ino: string;
  fingerprint: string;
  fingerprintLength: number;
  /** Bytes acknowledged by S3: every line before this offset is stored. */
  offset: number;
  /** Uploads in flight, contiguous and in order from `offset`. Replayed after a crash. */
  pending: UploadIntent[];
  /** ISO time of the last acknowledged upload. */
  lastUploadAt?: string;
}
