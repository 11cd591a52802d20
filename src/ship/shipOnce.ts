import { expandGlobs, MAX_WALK_DEPTH, TOO_DEEP, globBase, globMatcher } from "../source/expandGlobs.js";
import { isRefusedLink, judgedFrom, REFUSED_LINK, type RefusedLink } from "../source/linkTrust.js";
import { finishesInPlace, moveCheckpoint, recordedEnd, renamedTo, replayOnly, type FileCheckpoint } from "../source/FileCheckpoint.js";
import { findCopy } from "../source/findCopy.js";
import { findLaterRotations, laterRotationCheckpoint } from "../source/findLaterRotations.js";
import { checkpointsOf } from "../source/checkpointsOf.js";
import { findRenamed } from "../source/findRenamed.js";
import { openFile, type OpenFile } from "../source/openFile.js";
import { matchesCheckpoint, resolveCheckpoint } from "../source/resolveCheckpoint.js";
import { unmatchedPatterns } from "../source/unmatchedPatterns.js";
import { FileShipper } from "./FileShipper.js";
import { isAborted } from "./isAborted.js";
import { notSpooled, sendSpooled } from "./sendSpooled.js";
import type { ShipContext, ShipStats } from "./ShipContext.js";
import { StateSaveError } from "./StateSaveError.js";
import { lostWithoutCopy } from "./lostWithoutCopy.js";
import { logUnwatchedReplay } from "./logUnwatchedReplay.js";
import { warnGoneUnread } from "./warnGoneUnread.js";

/** Files open at once: a glob matching thousands of files must not exhaust descriptors. */
const OPEN_FILES = 16;

export interface OnceSummary extends ShipStats {
  files: number;
  /** Bytes after the last newline of each file: partial lines left for a later run. */
  pendingBytes: number;
  /** One operator-facing line per thing that could not be shipped. */
  failures: string[];
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Node's fs messages and the sink's already name their code: say it once.
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

async function runPool<T>(items: readonly T[], limit: number, stop: AbortSignal | undefined, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !isAborted(stop)) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A later rotation (a copytruncate's later copy, a generation renamed away unread), open, with the checkpoint it ships under. */
interface Adopted {
  file: OpenFile;
  checkpoint: FileCheckpoint;
}

/**
 * `ship-logs --once`: every complete line up to each file's current end, then
 * return. Files that rotated away since the last run are found by identity
 * next to their old path and finished too.
 *
 * @param stop aborted on SIGTERM/SIGINT: no new file or batch is started; the
 *   uploads under way finish (or fail, if the caller aborts the sink), and
 *   the state is saved, so the next run resumes where this one stopped
 * @param excludedDirs real paths of directories no file is shipped from (the
 *   state dir, Pipeline.stateDir): neither counted in `files` nor in `pendingBytes`
 */
export async function shipOnce(ctx: ShipContext, patterns: readonly string[], stop?: AbortSignal, excludedDirs: readonly string[] = []): Promise<OnceSummary> {
  const { logger, state } = ctx;
  const failures: string[] = [];
  const fail = (line: string): void => {
    failures.push(line);
    logger.error(line);
  };
  /**
   * A symlink the trust rule refuses (linkTrust) is said at warn and is not a
   * failure (exit 0): the file behind it is not one of ours that could not be
   * shipped, but one an unprivileged user pointed at; a failure would let
   * that user make every cron run exit 1. Once per link.
   */
  const refused = new Set<string>();
  const refuse = (refusal: RefusedLink): void => {
    if (refused.has(refusal.link)) return;
    refused.add(refusal.link);
    logger.warn(refusal, REFUSED_LINK);
  };
  const judgeFrom = judgedFrom(patterns.map(globBase));
  const paths = await expandGlobs(
    patterns,
    (path, error) => fail(`cannot read ${path}: ${error.code ?? error.message}`),
    excludedDirs,
    (pattern, dir) => logger.warn({ pattern, dir, maxDepth: MAX_WALK_DEPTH }, TOO_DEEP),
    (refusal) => refuse(refusal),
  );
  for (const pattern of unmatchedPatterns(patterns, paths)) logger.warn({ pattern }, "no file matches this --watch pattern");
  const seen = new Set<FileCheckpoint>();
  const seenInodes = new Set<string>();
  let files = 0;
  let pendingBytes = 0;

  /** @param recordedOnly only the recorded uploads go, nothing past them is read (a file taken out of --watch) */
  const ship = async (file: OpenFile, checkpoint: FileCheckpoint, recordedOnly = false): Promise<void> => {
    if (isAborted(stop)) return;
    files += 1;
    const shipper = new FileShipper(ctx, file, checkpoint);
    try {
      await shipper.replayPending();
      if (!recordedOnly) await shipper.ship(file.size, false, stop);
    } catch (error) {
      // A failed replay is also the shipper's error, reported below.
      if (error !== shipper.error) fail(`${file.path}: ${describe(error)}`);
    }
    await shipper.settle();
    // Uploads the stop's timeout cancelled are not the file's failure: what S3
    // did not acknowledge stays recorded (and spooled), and the next run
    // resumes there. A file the stop cut short has no partial line to count.
    if (shipper.error) {
      if (!shipper.cancelled) fail(`${file.path}: ${describe(shipper.error)}`);
    } else if (!isAborted(stop) && !recordedOnly) {
      pendingBytes += file.size - shipper.nextOffset;
    }
  };

  /**
   * A checkpoint is let go once. Another search may have let it go already
   * while this one awaited: splice(-1) would drop the last checkpoint instead.
   */
  const letGo = (checkpoint: FileCheckpoint): void => {
    const index = state.files.indexOf(checkpoint);
    if (index !== -1) state.files.splice(index, 1);
  };

  /** A checkpoint whose file is gone (deleted, its inode number handed on): let go, its recorded uploads that the spool does not hold said lost. */
  const letGoGone = async (checkpoint: FileCheckpoint): Promise<void> => {
    const lost = await notSpooled(ctx, checkpoint);
    if (lost > 0) fail(`${checkpoint.path}: file is gone with ${lost} upload(s) unconfirmed; they may be missing in S3`);
    letGo(checkpoint);
  };

  const matched = globMatcher(patterns);
  /**
   * The copy a copytruncate left of a checkpoint's file, if the globs do not
   * match it: one they match is shipped whole in this run, as a file of its
   * own, and so is one a checkpoint holds (a rotated file finished on every
   * run). Such a file with the same head is passed over for one that is
   * neither: a watched a.log beside b.log, both starting with the same banner,
   * must not hide b.log's copy. A checkpoint of a candidate's inode that the
   * candidate does not hold is a deleted copy's (checkpointsOf), let go as the
   * daemon does: kept, `rotate 1` left one more at the copy's path on every
   * run, and a glob widened to the copies took the oldest for the copy's and
   * shipped the copy whole again.
   */
  const findCopyToFinish = async (checkpoint: FileCheckpoint): Promise<OpenFile | undefined> => {
    const followed = async (file: OpenFile): Promise<boolean> => {
      if (matched(file.path) || seenInodes.has(`${file.dev}:${file.ino}`)) return true;
      const { holding, reused } = await checkpointsOf(state.files, file);
      for (const other of reused) await letGoGone(other);
      return holding.length > 0;
    };
    const copy = await findCopy(checkpoint, followed);
    if (copy === undefined || !copy.followed) return copy?.file;
    await copy.file.handle.close();
    return undefined;
  };

  /**
   * A checkpoint's file, found where it is now: read to its end if it was
   * rotated; if it had been taken out of --watch, only its recorded uploads
   * go (nothing, if it has none).
   */
  const finishFound = async (file: OpenFile, checkpoint: FileCheckpoint, rotated: () => void): Promise<void> => {
    if (!replayOnly(checkpoint)) {
      rotated();
      await ship(file, checkpoint);
    } else if (checkpoint.pending.length > 0) {
      logUnwatchedReplay(logger, file.path, checkpoint);
      await ship(file, checkpoint, true);
    }
  };

  /**
   * A copytruncate's copy of a checkpoint's file (the checkpoint moves onto
   * it), finished like the file, then closed; and the later copies, if the
   * file was copied and truncated again.
   */
  const finishCopy = async (copy: OpenFile, checkpoint: FileCheckpoint, wasWatched: boolean, path: string): Promise<void> => {
    let later: Adopted[] = [];
    try {
      logger.info({ path, copy: copy.path }, "file was copied and truncated since its checkpoint; finishing its old content from the copy");
      moveCheckpoint(checkpoint, copy, wasWatched);
      // Adopted before the first copy ships, so that its first saved intent
      // saves their checkpoints too. Adopted after it, a run killed while the
      // first copy shipped (an S3 outage makes that long) left the next run
      // only the checkpoint at the first copy, finished in place, which
      // never looks for later copies: their lines were lost.
      if (!replayOnly(checkpoint)) {
        later = await adoptLaterRotations(await findLaterRotations(path, copy, state.files, followed), (file) =>
          logger.info({ path, copy: file.path, bytes: file.size }, "file was copied and truncated again since its checkpoint; shipping the later copy whole"),
        );
      }
      await finishFound(copy, checkpoint, () => undefined);
    } finally {
      await copy.handle.close();
      await shipAdopted(later);
    }
  };

  /** Matched by a glob (shipped on its own), or shipped in this run already. */
  const followed = (file: OpenFile): boolean => matched(file.path) || seenInodes.has(`${file.dev}:${file.ino}`);

  /**
   * Later rotations (findLaterRotations), each given a checkpoint of its own
   * (a fresh source id, read whole), still open; `announce` logs each one.
   * Searches run side by side (one per checkpoint found renamed) and may find
   * the same file: the first to claim it adopts it, the others close it.
   * Adopted before the file they came after is read on, so that its first
   * saved intent saves their checkpoints too: a run killed meanwhile leaves
   * them to the next, which finishes each in place.
   */
  const adoptLaterRotations = async (later: readonly OpenFile[], announce: (file: OpenFile) => void): Promise<Adopted[]> => {
    const adopted: Adopted[] = [];
    for (const file of later) {
      const identity = `${file.dev}:${file.ino}`;
      if (seenInodes.has(identity)) {
        await file.handle.close();
        continue;
      }
      seenInodes.add(identity);
      try {
        const checkpoint = await laterRotationCheckpoint(file);
        announce(file);
        state.files.push(checkpoint);
        seen.add(checkpoint);
        adopted.push({ file, checkpoint });
      } catch (error) {
        fail(`${file.path}: ${describe(error)}`);
        await file.handle.close();
      }
    }
    return adopted;
  };

  /** Ships each adopted later rotation whole, then closes it. */
  const shipAdopted = async (adopted: readonly Adopted[]): Promise<void> => {
    for (const { file, checkpoint } of adopted) {
      try {
        await ship(file, checkpoint);
      } catch (error) {
        fail(`${file.path}: ${describe(error)}`);
      } finally {
        await file.handle.close();
      }
    }
  };

  /**
   * A checkpoint at its own path, which no glob matches: a rotated file whose
   * new name an earlier run saved (it found the file renamed away), written
   * since or not shipped whole, or a file with uploads that run recorded.
   * Finished here, or its remaining lines and recorded uploads would never be
   * read again. A file taken out of --watch sends only the uploads recorded
   * while it was watched (their keys are decided), and nothing past them.
   */
  const finishInPlace = async (checkpoint: FileCheckpoint): Promise<void> => {
    if (!finishesInPlace(checkpoint)) return;
    const file = await openFile(checkpoint.path, judgeFrom(checkpoint.path)).catch(() => undefined);
    if (file === undefined) return;
    try {
      // Retained rotated files are looked at on every run; only one with something to ship is news.
      const unshipped = checkpoint.pending.length > 0 || (!replayOnly(checkpoint) && file.size > checkpoint.offset);
      if (unshipped && (await matchesCheckpoint(file, checkpoint))) {
        await finishFound(file, checkpoint, () => logger.info({ path: file.path }, "finishing a file that was rotated away"));
      } else if (unshipped && checkpoint.pending.length > 0) {
        // Copied and truncated between two runs: the recorded uploads are in the copy.
        const copy = await findCopyToFinish(checkpoint);
        if (copy === undefined) fail(`${checkpoint.path}: ${checkpoint.pending.length} recorded upload(s) cannot be replayed: the file was truncated`);
        else await finishCopy(copy, checkpoint, !replayOnly(checkpoint), checkpoint.path);
      }
    } finally {
      await file.handle.close();
    }
  };

  await runPool(paths, OPEN_FILES, stop, async (path) => {
    let file: OpenFile;
    try {
      file = await openFile(path, judgeFrom(path));
    } catch (error) {
      if (isRefusedLink(error)) {
        refuse(error.refusal);
        return;
      }
      fail(`cannot read ${path}: ${describe(error)}`);
      return;
    }
    try {
      const inode = `${file.dev}:${file.ino}`;
      if (seenInodes.has(inode)) return; // a hard link or symlink to a file already shipped
      seenInodes.add(inode);
      const resolution = await resolveCheckpoint(state.files, file);
      if (resolution.kind === "replaced") {
        const { previous } = resolution;
        // Under another name: a deleted file's inode number reused by a new
        // file. At its own path: truncated since the last run, and after a
        // copytruncate what that run did not ship is in the copy.
        const copy = previous.path === path ? await findCopyToFinish(previous) : undefined;
        if (copy !== undefined) {
          seen.add(previous);
          await finishCopy(copy, previous, true, path);
        } else {
          if (previous.path === path) {
            const lostFrom = recordedEnd(previous);
            logger.warn(
              { path, previousOffset: previous.offset, lostFrom },
              `file was truncated or replaced since its checkpoint ${lostWithoutCopy(lostFrom)}`,
            );
          }
          const lost = await notSpooled(ctx, previous);
          if (lost > 0) fail(`${path}: ${lost} recorded upload(s) cannot be replayed: the file was truncated`);
          letGo(previous);
        }
      }
      if (resolution.kind !== "known") state.files.push(resolution.checkpoint);
      seen.add(resolution.checkpoint);
      await ship(file, resolution.checkpoint);
    } finally {
      await file.handle.close();
    }
  });

  const unseen = state.files.filter((checkpoint) => !seen.has(checkpoint));
  await runPool(unseen, OPEN_FILES, stop, async (checkpoint) => {
    // Let go since the list was made: the copy search found its inode handed on.
    if (!state.files.includes(checkpoint)) return;
    const search = await findRenamed(checkpoint);
    if (search.kind === "in-place") {
      await finishInPlace(checkpoint);
      return;
    }
    if (search.kind === "unknown") {
      fail(`${checkpoint.path}: cannot look for this file (${search.code}); its checkpoint is kept`);
      return;
    }
    if (search.kind === "gone") {
      await letGoGone(checkpoint);
      // A rotated file was read to its end by the run that found it; a file out of --watch is not to be read.
      if (checkpoint.rotated !== true && matched(checkpoint.path)) warnGoneUnread(logger, checkpoint);
      return;
    }
    const renamed = search.file;
    const from = checkpoint.path;
    let missed: Adopted[] = [];
    try {
      // Renamed away from a watched path: the files created there and renamed
      // away before this run (rotated more than once since the last) are known
      // to no checkpoint, and no glob matches their rotated names. Looked for
      // before the file is read on, while its last change is still the one
      // the generations after it followed.
      if (matched(from)) {
        missed = await adoptLaterRotations(await findLaterRotations(from, renamed, state.files, followed), (file) =>
          logger.info({ path: from, rotated: file.path, bytes: file.size }, "file was rotated more than once since its checkpoint; shipping a generation no run read whole"),
        );
      }
      renamedTo(checkpoint, renamed.path, matched(from));
      await finishFound(renamed, checkpoint, () => logger.info({ from, to: renamed.path }, "finishing a file that was rotated away"));
    } finally {
      await renamed.handle.close();
      await shipAdopted(missed);
    }
  });

  // After the checkpoints of files truncated or gone were let go: their spooled batches are nobody's now.
  for (const line of await sendSpooled(ctx, stop)) fail(line);
  try {
    await ctx.saver.persist();
  } catch (error) {
    // What S3 acknowledged in this run is not recorded: the next run sends it
    // again under the same keys. First among the failures: it is the one the
    // last line on stderr names.
    const line = `${new StateSaveError(ctx.saver.dir, error).message}; the next run resumes from the last saved state`;
    logger.error(line);
    failures.unshift(line);
  }
  return { ...ctx.stats, files, pendingBytes, failures };
}
