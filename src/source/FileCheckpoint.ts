/** An upload decided but not yet acknowledged by S3 (SPEC "What lands in S3"). */
export interface UploadIntent {
  start: number;
  end: number;
  key: string;
  /**
   * How the run that decided the key encodes the body (its key says so: `.gz`
   * or not). A replay after a restart with another --compression keeps it.
   * Absent in intents of earlier releases: their key's suffix says it.
   */
  compression?: "gzip" | "none";
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
  /** sha256 (hex) of the file's first `fingerprintLength` bytes: fixed at its first batch's cut, widened as uploads are acknowledged (refreshFingerprint). */
  fingerprint: string;
  fingerprintLength: number;
  /**
   * sha256 (hex) of the up to FINGERPRINT_BYTES bytes that end at
   * recordedEnd, and their count, kept current at every batch cut. The head
   * alone does not tell a copytruncate's copy from another file that starts
   * the same (a shared banner, a run of NULs), or from an older copy of the
   * same file; the bytes just before where reading stopped do (findCopy).
   * Absent in checkpoints of earlier releases, and before a first batch is
   * cut: the copy is then recognised by its head alone.
   */
  tail?: { hash: string; length: number };
  /** Bytes acknowledged by S3: every line before this offset is stored. */
  offset: number;
  /** Uploads in flight, contiguous and in order from `offset`. Replayed after a crash. */
  pending: UploadIntent[];
  /**
   * The directory the file really lives in, when a symlink at `path` leads
   * there (realDirOf): a rename or a copytruncate's copy is looked for there
   * too. Absent when it is `path`'s own directory, and in checkpoints of
   * earlier releases.
   */
  realDir?: string;
  /** ISO time of the last acknowledged upload. */
  lastUploadAt?: string;
  /**
   * Found renamed away from a watched path (rotated), or a copytruncate's
   * copy holding its old content. Such a file is read to its end wherever it
   * now is, as long as it exists: the writer may add lines before it reopens.
   * A checkpoint left at an unwatched path without it is a file taken out of
   * --watch, which must not go on shipping.
   */
  rotated?: true;
}

/**
 * Where the checkpoint's file is read on from: the end of the last recorded
 * upload, or the acknowledged offset when none is in flight. Recorded uploads
 * are replayed under their keys, never read into new batches.
 */
export function recordedEnd(checkpoint: FileCheckpoint): number {
  return checkpoint.pending.at(-1)?.end ?? checkpoint.offset;
}

/**
 * The checkpoint's content now lives in another file: the copy a copytruncate
 * left. Finished like a rotated file, also by the next run if this one stops first.
 */
export function moveCheckpoint(checkpoint: FileCheckpoint, to: { path: string; dev: string; ino: string }, wasWatched: boolean): void {
  checkpoint.dev = to.dev;
  checkpoint.ino = to.ino;
  renamedTo(checkpoint, to.path, wasWatched);
}

/**
 * The checkpoint's file was found under another name (or its content in a
 * copy). Followed at a watched path, it was rotated, and is read to its end.
 * Already out of --watch (replayOnly), it stays so: logrotate renaming it
 * does not make the lines written since it was taken out shippable.
 */
export function renamedTo(checkpoint: FileCheckpoint, path: string, wasWatched: boolean): void {
  checkpoint.path = path;
  if (wasWatched) checkpoint.rotated = true;
}

/**
 * Whether a checkpoint left at a path no glob matches is still to be read
 * there: its recorded uploads must go, and a rotated file is read to its end.
 * A file taken out of --watch sends only its recorded uploads (replayOnly),
 * and then must not go on shipping.
 */
export function finishesInPlace(checkpoint: FileCheckpoint): boolean {
  return checkpoint.pending.length > 0 || checkpoint.rotated === true;
}

/**
 * A checkpoint left at a path no glob matches that was never found renamed
 * away: a file taken out of --watch. Its recorded uploads go (same keys, same
 * bytes), and not one byte past them.
 */
export function replayOnly(checkpoint: FileCheckpoint): boolean {
  return checkpoint.rotated !== true;
}
