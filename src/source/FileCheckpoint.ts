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

/**
 * Where the checkpoint's file is read on from: the end of the last recorded
 * upload, or the acknowledged offset when none is in flight. Recorded uploads
 * are replayed under their keys, never read into new batches.
 */
export function recordedEnd(checkpoint: FileCheckpoint): number {
  return checkpoint.pending.at(-1)?.end ?? checkpoint.offset;
}

/** The checkpoint's content now lives in another file: the copy a copytruncate left. */
export function moveCheckpoint(checkpoint: FileCheckpoint, to: { path: string; dev: string; ino: string }): void {
  checkpoint.path = to.path;
  checkpoint.dev = to.dev;
  checkpoint.ino = to.ino;
}
