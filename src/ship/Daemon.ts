import { stat } from "node:fs/promises";
import type { Logger } from "pino";
import { errorMessage } from "../log/errorMessage.js";
import { expandGlobs, globMatcher } from "../source/expandGlobs.js";
import { finishesInPlace, moveCheckpoint, recordedEnd, renamedTo, replayOnly, type FileCheckpoint } from "../source/FileCheckpoint.js";
import { findCopy } from "../source/findCopy.js";
import { findLaterCopies, laterCopyCheckpoint } from "../source/findLaterCopies.js";
import { findRenamed, type RenameSearch } from "../source/findRenamed.js";
import { currentSize, openFile, type OpenFile } from "../source/openFile.js";
import { PathsProvider } from "../source/PathsProvider.js";
import { freshCheckpoint, matchesCheckpoint, resolveCheckpoint } from "../source/resolveCheckpoint.js";
import { unmatchedPatterns } from "../source/unmatchedPatterns.js";
import { monotonicNow } from "../time/monotonicNow.js";
import { notSpooled, sendSpooled } from "./sendSpooled.js";
import type { ShipContext } from "./ShipContext.js";
import { saveAtStart } from "./stateSaveFailure.js";
import { Tailer } from "./Tailer.js";
import { lostWithoutCopy } from "./lostWithoutCopy.js";
import { logUnwatchedReplay } from "./logUnwatchedReplay.js";
import { warnGoneUnread } from "./warnGoneUnread.js";
import { isSameFile } from "../source/isSameFile.js";

/** How far one followed file is behind S3. */
export interface FileLag {
  path: string;
  /** The file's identity: after a rotation, the file that left the path and the one now at it share `path`. */
  dev: string;
  ino: string;
  bytesBehind: number;
  /**
   * When its oldest unshipped bytes were first seen, in epoch milliseconds
   * (status.json shows it to other processes): the wall clock at the time of
   * reading, less their age on the monotonic clock, so that `Date.now() -
   * pendingSince` stays their age across a step of the wall clock.
   */
  pendingSince: number | undefined;
  /** Rotated away or deleted, still being read to its end. */
  detached: boolean;
}

/** A watched file the daemon cannot open: none of it ships until it can. */
export interface UnreadableFile {
  path: string;
  /** Why it cannot be opened (EACCES, EPERM, …). */
  code: string;
  /** Its size, if a stat could tell (the directory is searchable): all of it is behind. */
  size: number | undefined;
}

export interface DaemonOptions {
  patterns: readonly string[];
  /**
   * Real paths of directories no file is followed from, whatever the globs
   * match: the state dir (Pipeline.stateDir), whose state.json, status.json
   * and spool are ship-logs' own. Neither scanned nor watched.
   */
  excludedDirs?: readonly string[];
  flushIntervalMs: number;
  /** How often the tailers are polled; the flush interval is only as precise as this. */
  tickMs?: number;
  /** Full glob rescan: catches what file events missed (new directories, unreadable files that became readable). */
  rescanMs?: number;
  /** A rotated-away file is let go once drained and quiet this long (writers may still hold it open briefly). */
  rotateWaitMs?: number;
  /** Rotated files kept open while they cannot be drained (e.g. S3 is down). */
  maxRotatedOpen?: number;
  /**
   * Descriptors held for followed files. Past it, idle files are closed (their
   * checkpoints stay) and opened again when written: a glob matching thousands
   * of files must not exhaust the process's descriptor limit (1024 under systemd).
   */
  maxOpenFiles?: number;
}

/** An idle file must have been quiet this long before its descriptor is taken back. */
const IDLE_CLOSE_MS = 5_000;

/** Past a flush deadline, so that the pass it wakes finds the bytes due (timers and monotonicNow() round apart). */
const DEADLINE_SLACK_MS = 2;

/** After the stop timeout's abort, how long the stop still waits for the flush before it saves state. */
const AFTER_ABORT_MS = 5_000;

/** Whether `task` (which never rejects) settles within `ms`. */
async function settlesWithin(task: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    task.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}

/**
 * The long-running shipper: discovers files (globs + chokidar), tails each
 * identity through rotation and truncation, and ships on size or age. The
 * files themselves are the buffer: when uploads fall behind, the upload slots
 * stay taken and reading simply pauses.
 */
export class Daemon {
  private readonly tailers = new Map<string, Tailer>();
  private readonly byPath = new Map<string, Tailer>();
  private readonly unreadable = new Map<string, string>();
  /** Watched files that cannot be opened, by path (noteUnreadableFile). */
  private readonly unreadableFiles = new Map<string, UnreadableFile>();
  private readonly attaching = new Set<string>();
  private readonly attachingIdentities = new Set<string>();
  private readonly paths: PathsProvider;
  private tick: NodeJS.Timeout | undefined;
  private tickMs = 1_000;
  /** A pass at the next flush deadline, when it comes before the next tick (scheduleDeadline). */
  private deadline: NodeJS.Timeout | undefined;
  /** When the last tick or deadline pass looked: deadlines up to it have been polled, met or not (a file whose uploads fail). */
  private polledUpTo = 0;
  /** The deadline's poll of the files due, while it runs. */
  private deadlinePass: Promise<void> | undefined;
  private rescan: NodeJS.Timeout | undefined;
  private stopping = false;
  /** The stop's last look at the paths: the only attaches allowed while stopping. */
  private lookingLast = false;
  private rescanning = false;
  /** The pass over the spool under way, if any: one at a time. */
  private spoolPass: Promise<void> | undefined;
  /** Aborted when the stop begins: the spool pass takes no further batch. */
  private readonly halt = new AbortController();
  /**
   * Rotated files whose pending lines went at once, at the first tick after
   * the rotation. What a writer that never reopens adds to one later waits
   * for the flush interval like any line: one PUT a tick for as long as it
   * writes would break the interval's bound on PUTs.
   */
  private readonly drainedAfterRotation = new WeakSet<Tailer>();
  /** The size a rotated file had when it was let go: what it holds beyond that was written since. */
  private readonly releasedSizes = new WeakMap<FileCheckpoint, number>();
  private readonly isMatch: (path: string) => boolean;
  /** The size measure() took of a followed file, through its descriptor. */
  private readonly measuredSizes = new WeakMap<Tailer, number>();
  /** The size measure() took of a file closed at the descriptor cap (absent: not the same file at its path now). */
  private readonly idleSizes = new WeakMap<FileCheckpoint, number>();
  /** When measure() first found bytes of a file that no poll has read (monotonic): their wait counts from there. */
  private readonly idleWaiting = new WeakMap<FileCheckpoint, number>();
  /** The measure() pass under way, shared. */
  private measuring: Promise<void> | undefined;
  private urgent = false;
  private ticking = false;
  private rotatedWarned = false;
  private descriptorsWarned = false;
  private readonly logger: Logger;

  constructor(
    private readonly ctx: ShipContext,
    private readonly options: DaemonOptions,
  ) {
    this.logger = ctx.logger;
    this.isMatch = globMatcher(options.patterns);
    this.paths = new PathsProvider(
      options.patterns,
      {
        added: (path) => void this.attach(path),
        changed: (path) => {
          const tailer = this.byPath.get(path);
          // A file closed to save descriptors is opened again when it is written.
          // Never urgent: in urgent mode the tick uploads what is pending once a
          // tick; urgent polls here made every write event a PUT of its own.
          void (tailer ? tailer.poll(monotonicNow(), false) : this.attach(path));
        },
        error: (error) => this.logger.warn({ err: error.message }, "file watcher error"),
      },
      options.excludedDirs,
    );
  }

  async start(): Promise<void> {
    const found = await this.scan();
    await this.adoptRotated();
    await saveAtStart(this.ctx);
    // Not awaited: with S3 down it waits as long as the outage (and a stop cancels it).
    this.sendSpooled();
    this.paths.start();
    this.tickMs = this.options.tickMs ?? Math.min(1_000, Math.max(100, this.options.flushIntervalMs / 4));
    this.tick = setInterval(() => void this.onTick(), this.tickMs);
    this.rescan = setInterval(() => void this.rescanNow(), this.options.rescanMs ?? 10_000);
    this.logger.info({ files: this.tailers.size, patterns: this.options.patterns }, "watching");
    for (const pattern of unmatchedPatterns(this.options.patterns, found)) {
      this.logger.warn({ pattern }, "no file matches this --watch pattern yet; files that appear are picked up");
    }
  }

  /** From now on, ship everything at once (instance is going away). */
  setUrgent(reason: string): void {
    if (this.urgent) return;
    this.urgent = true;
    this.logger.warn({ reason }, "shipping every pending line now, without waiting for the flush interval");
    void this.onTick();
  }

  /** Back to the flush interval (the notice that made the shipper urgent was withdrawn). */
  clearUrgent(): void {
    this.urgent = false;
  }

  get isUrgent(): boolean {
    return this.urgent;
  }

  /**
   * Per-file lag, for status and metrics: every file the daemon knows at a
   * watched path, followed or closed at the descriptor cap, and the rotated
   * ones still being read. Bytes behind are the file's size as last measured
   * (measure(); or as its last poll read it, if larger) less what S3 has
   * acknowledged, as `status` computes BEHIND: while S3 fails, the upload
   * slots stay taken and polls stop reading, and a size taken from the
   * polls froze while the file kept growing.
   */
  files(): FileLag[] {
    const wallNow = Date.now();
    const now = monotonicNow();
    const wall = (since: number | undefined): number | undefined => (since === undefined ? undefined : wallNow - (now - since));
    const followed = [...this.tailers.values()].map((tailer) => {
      const measured = this.measuredSizes.get(tailer);
      const size = measured === undefined ? undefined : Math.min(measured, tailer.readTo ?? Number.POSITIVE_INFINITY);
      // Smaller than the acknowledged offset: truncated, which the next poll handles.
      const grown = size !== undefined && size >= tailer.checkpoint.offset ? size - tailer.checkpoint.offset : 0;
      return {
        path: tailer.file.path,
        dev: tailer.file.dev,
        ino: tailer.file.ino,
        bytesBehind: Math.max(tailer.bytesBehind, grown),
        // Read by no poll yet (the polls wait for upload slots): waiting since measured.
        pendingSince: wall(tailer.waitingFor ?? (grown > tailer.bytesBehind ? this.idleWaiting.get(tailer.checkpoint) : undefined)),
        detached: tailer.detachedAt !== undefined,
      };
    });
    const closed = this.closedCheckpoints().flatMap((checkpoint) => {
      const size = this.idleSizes.get(checkpoint);
      if (size === undefined) return [];
      return [
        {
          path: checkpoint.path,
          dev: checkpoint.dev,
          ino: checkpoint.ino,
          // A file shorter than its checkpoint was truncated and written again: all of it is new.
          bytesBehind: size < checkpoint.offset ? size : size - checkpoint.offset,
          pendingSince: wall(this.idleWaiting.get(checkpoint)),
          detached: false,
        },
      ];
    });
    return [...followed, ...closed];
  }

  /** Checkpoints of files at a watched path that no tailer follows now: closed at the descriptor cap, or waiting for a descriptor. */
  private closedCheckpoints(): FileCheckpoint[] {
    const followed = new Set([...this.tailers.values()].map((tailer) => tailer.checkpoint));
    return this.ctx.state.files.filter((checkpoint) => !followed.has(checkpoint) && this.isMatch(checkpoint.path));
  }

  /**
   * Takes the size of every followed file through its descriptor (a rotated
   * one has no path), independently of the polls, which wait for upload
   * slots while S3 fails. (A file closed at the descriptor cap is measured
   * by the attaches that find no room for it: rescans and write events.)
   * Called before status.json is written and before the metrics are read;
   * concurrent callers share one pass.
   */
  measure(): Promise<void> {
    this.measuring ??= this.measureNow().finally(() => {
      this.measuring = undefined;
    });
    return this.measuring;
  }

  /** Bytes of this file have waited since now, or none do. */
  private noteWaiting(checkpoint: FileCheckpoint, behind: boolean, now = monotonicNow()): void {
    if (!behind) this.idleWaiting.delete(checkpoint);
    else if (!this.idleWaiting.has(checkpoint)) this.idleWaiting.set(checkpoint, now);
  }

  /**
   * The size of a file closed at the descriptor cap, as an attach that could
   * not open it for good found it (every rescan, and every write event, tries).
   */
  private noteClosedSize(checkpoint: FileCheckpoint, size: number): void {
    this.idleSizes.set(checkpoint, size);
    // Closed drained, a trailing partial line stays behind: only growth past it waits.
    const seen = this.releasedSizes.get(checkpoint) ?? checkpoint.offset;
    this.noteWaiting(checkpoint, size > seen || size < checkpoint.offset);
  }

  private async measureNow(): Promise<void> {
    const now = monotonicNow();
    await Promise.all(
      [...this.tailers.values()].map(async (tailer) => {
        // A descriptor closed meanwhile (released, closed at the cap): nothing to measure.
        const size = await currentSize(tailer.file).catch(() => undefined);
        if (size === undefined) return;
        this.measuredSizes.set(tailer, size);
        this.noteWaiting(tailer.checkpoint, size > tailer.checkpoint.offset + tailer.bytesBehind, now);
      }),
    );
  }

  /**
   * SIGTERM: stop watching, hand every complete line to an upload, wait for
   * the uploads until `timeoutMs`, save state. What did not finish stays in the
   * state as upload intents and is replayed under the same keys at next start.
   * Never throws: a failure here is logged, and the state saved as far as it can be.
   */
  async stop(timeoutMs: number, abort: AbortController): Promise<void> {
    this.stopping = true;
    this.halt.abort();
    clearInterval(this.tick);
    clearTimeout(this.deadline);
    clearInterval(this.rescan);
    await this.paths.close();
    const stopDeadline = monotonicNow() + timeoutMs;
    const flush = this.flushAtStop(abort.signal).catch((error: unknown) => {
      this.logger.error({ err: errorMessage(error) }, "the stop flush failed; what it did not upload is shipped at the next start");
    });
    if (!(await settlesWithin(flush, timeoutMs))) {
      this.logger.warn({ timeoutMs }, "stop timeout reached; unfinished uploads are replayed at the next start");
      abort.abort();
      // Aborted uploads fail at once; what still runs is waiting on a
      // filesystem that does not answer, and must not hold the state save.
      if (!(await settlesWithin(flush, AFTER_ABORT_MS))) this.logger.warn("still waiting for a file read after the stop timeout; saving state without it");
    }
    const spoolPass = this.spoolPass;
    // The pass over the spool takes no further batch (halt); the one it is
    // sending gets what is left of the stop timeout. With S3 down its upload
    // retries for ever and would hold the exit: cancelled, the batch stays
    // in the spool for the next start.
    if (spoolPass !== undefined && !(await settlesWithin(spoolPass, Math.max(0, stopDeadline - monotonicNow())))) {
      abort.abort();
      await settlesWithin(spoolPass, AFTER_ABORT_MS);
    }
    try {
      await this.ctx.saver.persist();
    } catch (error) {
      this.logger.error({ code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) }, "cannot save state at stop; the next start resumes from the last saved state");
    }
    await Promise.all([...this.tailers.values()].map((tailer) => tailer.close().catch(() => undefined)));
  }

  private async flushAtStop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && (this.ticking || this.deadlinePass !== undefined || this.rescanning || this.attaching.size > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Followed files first: their lines go up before the last look spends
    // time on the paths, and a file that has just grown is not the idle one
    // that makeRoom() closes to attach a new file at the descriptor bound.
    await this.pollAll();
    if (!signal.aborted) await this.lastLook(signal);
    await this.pollAll();
    await Promise.all([...this.tailers.values()].map((tailer) => tailer.settle()));
  }

  private async pollAll(): Promise<void> {
    for (const tailer of [...this.tailers.values()]) await tailer.poll(monotonicNow(), true);
  }

  /**
   * File events arrive late and scans come every few seconds, so a file
   * created (or rotated in) just before the signal is not followed yet. Its
   * lines would wait for the next start, and an instance being terminated has
   * none: look at the paths once more, with events and scans stopped.
   */
  private async lastLook(signal: AbortSignal): Promise<void> {
    this.lookingLast = true;
    try {
      for (const tailer of [...this.tailers.values()]) {
        if (signal.aborted) return;
        if (tailer.detachedAt === undefined) await this.checkPath(tailer);
      }
      const paths = await expandGlobs(this.options.patterns, (dir, error) => this.reportUnreadable(dir, error.code ?? error.message), this.options.excludedDirs);
      for (const path of paths) {
        if (signal.aborted) return;
        await this.attach(path);
      }
    } finally {
      this.lookingLast = false;
    }
  }

  private async onTick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    try {
      const now = monotonicNow();
      this.polledUpTo = now;
      for (const tailer of [...this.tailers.values()]) {
        if (tailer.detachedAt === undefined) await this.checkPath(tailer);
        const drainNow = tailer.detachedAt !== undefined && !this.drainedAfterRotation.has(tailer);
        const outcome = await tailer.poll(now, this.urgent || drainNow);
        if (drainNow) this.drainedAfterRotation.add(tailer);
        if (outcome === "truncated") await this.restartTruncated(tailer);
        else if (tailer.detachedAt !== undefined && tailer.isDrained(now, this.options.rotateWaitMs ?? 5_000)) {
          await this.release(tailer);
        }
      }
      this.checkRotatedBound();
    } catch (error) {
      // A state save that failed (a full or read-only disk): the next tick
      // saves again. Uncaught, it would end the process without a stop flush.
      this.logger.error({ code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) }, "a poll of the files failed; trying again at the next tick");
    } finally {
      this.ticking = false;
      this.scheduleDeadline();
    }
  }

  /**
   * --flush-interval is the longest a line waits (SPEC): the tick alone would
   * find bytes due up to a tick late (1 s, or a quarter of the interval). The
   * interval is also the least time between a file's PUTs, so the batch must
   * not go early either: one timer, at the next deadline not yet looked at,
   * when that comes before the next tick; it polls only the files then due.
   * None when idle.
   */
  private scheduleDeadline(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
    let next = Number.POSITIVE_INFINITY;
    for (const tailer of this.tailers.values()) {
      const due = (tailer.pendingSince ?? Number.POSITIVE_INFINITY) + this.options.flushIntervalMs;
      // One already looked at stays with the tick: a pass after every pass would spin.
      if (due > this.polledUpTo && due < next) next = due;
    }
    const wait = next - monotonicNow();
    if (this.stopping || this.urgent || !(wait < this.tickMs)) return;
    // A timer may fire a millisecond before monotonicNow() reaches the deadline.
    this.deadline = setTimeout(() => this.onDeadline(), Math.max(0, wait) + DEADLINE_SLACK_MS);
  }

  /** Polls the files whose oldest pending bytes are due; the tick does the rest (paths, rotations, truncations). */
  private onDeadline(): void {
    if (this.stopping || this.deadlinePass !== undefined) return;
    this.deadlinePass = (async () => {
      const now = monotonicNow();
      this.polledUpTo = now;
      const due = [...this.tailers.values()].filter((tailer) => tailer.pendingSince !== undefined && now - tailer.pendingSince >= this.options.flushIntervalMs);
      // A poll never rejects; one in progress (the tick's) is shared. The
      // stop waits for this pass and polls every file itself: none after it.
      for (const tailer of due) {
        if (this.stopping) return;
        await tailer.poll(now, false);
        // Shared with a poll the tick began before the deadline, which found
        // nothing due yet: once more, now.
        const since = tailer.pendingSince;
        if (since !== undefined && monotonicNow() - since >= this.options.flushIntervalMs && !this.stopping) await tailer.poll(monotonicNow(), false);
      }
    })().finally(() => {
      this.deadlinePass = undefined;
      this.scheduleDeadline();
    });
  }

  /** Has the path been renamed away, deleted, or replaced by a new file? */
  private async checkPath(tailer: Tailer): Promise<void> {
    const path = tailer.file.path;
    const info = await stat(path, { bigint: true }).catch(() => undefined);
    if (isSameFile(info, tailer.file)) return;
    if (this.byPath.get(path) === tailer) this.byPath.delete(path);
    if (!(await this.followUnderOtherName(tailer))) {
      tailer.detachedAt = monotonicNow();
      this.logger.info({ path, replaced: info !== undefined }, "file rotated or deleted; reading the old one to its end");
    }
    // A new file at the path: followed from now, not from the next rescan.
    if (info) await this.attach(path);
  }

  /**
   * The file is still reachable under another name the globs match (a hard
   * link, or a symlink beside its target): follow it there, as if renamed
   * into it. Drained and released instead, that name would map to a closed
   * tailer, and its lines wait for the next rescan, not the flush interval.
   */
  private async followUnderOtherName(tailer: Tailer): Promise<boolean> {
    for (const other of this.namesOf(tailer)) {
      const info = await stat(other, { bigint: true }).catch(() => undefined);
      if (isSameFile(info, tailer.file)) {
        this.logger.info({ path: tailer.file.path, now: other }, "file is gone under this name; following it under its other name");
        tailer.file.path = other;
        tailer.checkpoint.path = other;
        return true;
      }
      this.byPath.delete(other);
    }
    return false;
  }

  /** Every path that leads to this tailer: its own, and other names of its file (hard links, symlinks). */
  private namesOf(tailer: Tailer): string[] {
    return [...this.byPath].filter(([, each]) => each === tailer).map(([path]) => path);
  }

  /** A tailer closed (or replaced): no name may lead to it any more, or its file's writes poll a closed descriptor. */
  private forgetNames(tailer: Tailer, replacement?: Tailer): void {
    for (const path of this.namesOf(tailer)) {
      if (replacement) this.byPath.set(path, replacement);
      else this.byPath.delete(path);
    }
  }

  /** Attaches every file the globs match now; returns their paths. */
  private async scan(): Promise<string[]> {
    if (this.stopping) return [];
    const paths = await expandGlobs(
      this.options.patterns,
      (dir, error) => this.reportUnreadable(dir, error.code ?? error.message),
      this.options.excludedDirs,
    );
    for (const path of paths) await this.attach(path);
    return paths;
  }

  private async rescanNow(): Promise<void> {
    if (this.rescanning) return;
    this.rescanning = true;
    try {
      await this.scan();
      await this.settleIdleCheckpoints();
      this.sendSpooled();
    } catch (error) {
      this.logger.warn({ err: errorMessage(error) }, "rescan failed; trying again at the next one");
    } finally {
      this.rescanning = false;
    }
  }

  /** The spooled batches whose checkpoints were let go (a file truncated or deleted while stopped): one pass at a time. */
  private sendSpooled(): void {
    if (this.spoolPass !== undefined || this.stopping) return;
    this.spoolPass = sendSpooled(this.ctx, this.halt.signal)
      .then((failures) => {
        for (const failure of failures) this.logger.error({ err: failure }, "a batch kept in the spool was not sent");
      })
      // Reading the spool, or saving the state before its batches go (a full disk).
      .catch((error: unknown) => this.logger.warn({ err: errorMessage(error) }, "cannot send the spool now; trying again at the next rescan"))
      .finally(() => {
        this.spoolPass = undefined;
      });
  }

  /**
   * A checkpoint outlives its tailer while the file exists (rotated away and
   * drained, or closed to save descriptors), so that a glob that also matches
   * rotated names never ships it again. Once the file is deleted it must go
   * too: kept, the state grew by one entry per rotation for as long as the
   * daemon ran, and a new file that reused the inode was taken for a truncated
   * one ("file was truncated or replaced"). A file closed to save descriptors
   * that was written and then rotated away before it could be opened again is
   * found under its new name and finished. Not at start: adoptRotated() must
   * first see the checkpoints of files rotated while the shipper was down.
   */
  private async settleIdleCheckpoints(): Promise<void> {
    const followed = (): Set<FileCheckpoint> => new Set([...this.tailers.values()].map((tailer) => tailer.checkpoint));
    const atStart = followed();
    for (const checkpoint of this.ctx.state.files.filter((candidate) => !atStart.has(candidate))) {
      if (this.stopping) return;
      const search = await findRenamed(checkpoint);
      if (search.kind === "found") {
        renamedTo(checkpoint, search.file.path, this.isMatch(checkpoint.path));
        if (search.file.size > checkpoint.offset && !followed().has(checkpoint) && !this.isTaken(`${search.file.dev}:${search.file.ino}`)) {
          await this.finishRenamed(search.file, checkpoint, "finishing a file that was rotated away");
        } else {
          await search.file.handle.close();
        }
      } else if (search.kind === "in-place" && !followed().has(checkpoint) && !this.isMatch(checkpoint.path)) {
        // Let go once drained and quiet, but a writer that has not reopened yet
        // may write to it again: no event comes for a path no glob matches.
        await this.finishInPlace(checkpoint, this.releasedSizes.get(checkpoint) ?? checkpoint.offset);
      } else if (search.kind === "gone" && !followed().has(checkpoint)) {
        await this.settleUnfound(checkpoint, search, this.releasedSizes.has(checkpoint));
      }
    }
  }

  /**
   * A watched file that cannot be opened (EACCES: the service user may not
   * read it) ships nothing: kept, with its size if a stat can tell, so that
   * `status` and the metrics show it behind, not all shipped. Gone, or not a
   * regular file (nothing to ship), it is dropped. Every rescan and write
   * event tries again, and measures it again.
   */
  private async noteUnreadableFile(path: string, code: string): Promise<void> {
    if (code === "ENOENT" || code === "ENOTREGULAR") {
      this.unreadableFiles.delete(path);
      return;
    }
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && !info.isFile()) {
      this.unreadableFiles.delete(path);
      return;
    }
    this.unreadableFiles.set(path, { path, code, size: info?.size });
  }

  /** Watched files that cannot be opened, for status and metrics. */
  unreadableNow(): UnreadableFile[] {
    // A file followed (or closed at the cap) under this path is known: an open that failed once since is no news.
    const known = new Set(this.ctx.state.files.map((checkpoint) => checkpoint.path));
    return [...this.unreadableFiles.values()].filter((file) => !known.has(file.path));
  }

  private reportUnreadable(path: string, why: string): void {
    if (this.unreadable.get(path) === why) return;
    this.unreadable.set(path, why);
    this.logger.error({ path, code: why }, "cannot read; will retry");
  }

  /**
   * Events and scans can ask for the same path at once; two concurrent
   * attaches of one file would give it two checkpoints and ship it twice.
   */
  private async attach(path: string): Promise<void> {
    if ((this.stopping && !this.lookingLast) || this.attaching.has(path)) return;
    this.attaching.add(path);
    try {
      await this.attachOnce(path);
    } catch (error) {
      // Called from file events too, where nothing else would catch it; the next scan tries again.
      this.logger.error({ path, code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) }, "cannot follow this file now; trying again at the next scan");
    } finally {
      this.attaching.delete(path);
    }
  }

  private async attachOnce(path: string): Promise<void> {
    let file: OpenFile;
    try {
      file = await openFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      if (code !== "ENOENT") this.reportUnreadable(path, code);
      await this.noteUnreadableFile(path, code);
      return;
    }
    this.unreadableFiles.delete(path);
    if (this.unreadable.delete(path)) this.logger.info({ path }, "file is readable now");
    const identity = `${file.dev}:${file.ino}`;
    const existing = this.tailers.get(identity);
    if (this.attachingIdentities.has(identity)) {
      // The same file under another name (hard link, symlink) is being attached now.
      await file.handle.close();
      return;
    }
    if (existing) {
      // Renamed into another matching name, or seen again by a scan. Found
      // detached, it was renamed away and back (or onto a name the globs
      // match): followed at this path again, not drained as a rotated file.
      if (existing.detachedAt !== undefined) {
        existing.detachedAt = undefined;
        this.drainedAfterRotation.delete(existing);
        existing.file.path = path;
        existing.checkpoint.path = path;
      }
      this.byPath.set(path, existing);
      await file.handle.close();
      return;
    }
    this.attachingIdentities.add(identity);
    try {
      await this.adopt(path, file);
    } finally {
      this.attachingIdentities.delete(identity);
    }
  }

  private async adopt(path: string, file: OpenFile): Promise<void> {
    const identity = `${file.dev}:${file.ino}`;
    const resolution = await resolveCheckpoint(this.ctx.state.files, file);
    if (resolution.kind === "replaced") {
      const { previous } = resolution;
      // Under another name, the checkpoint's file was deleted and a new file
      // got its inode number (ext4 and tmpfs reuse them at once): no news.
      // At its own path, it was truncated while the shipper was not following
      // it (stopped, or the file closed to save descriptors): after a
      // copytruncate, what was not shipped yet is in the copy.
      if (previous.path !== path) {
        this.dropCheckpoint(previous);
      } else if (!(await this.finishFromCopy(previous, path))) {
        const lostFrom = recordedEnd(previous);
        this.logger.warn(
          { path, previousOffset: previous.offset, lostFrom, uploads: previous.pending.length, notSpooled: await notSpooled(this.ctx, previous) },
          `file was truncated or replaced ${lostWithoutCopy(lostFrom)}`,
        );
        this.dropCheckpoint(previous);
      }
    }
    if (resolution.kind !== "known") this.ctx.state.files.push(resolution.checkpoint);
    if (this.tailers.size >= (this.options.maxOpenFiles ?? 512) && !(await this.makeRoom(file, resolution.checkpoint))) {
      this.noteClosedSize(resolution.checkpoint, file.size);
      await file.handle.close();
      return;
    }
    this.track(file, resolution.checkpoint, undefined);
    this.byPath.set(path, this.tailers.get(identity) as Tailer);
  }

  /**
   * At the descriptor bound: a file with nothing new needs no descriptor until
   * it is written; otherwise close the longest-idle drained file to make room.
   * False when the file must wait (for the next scan or write event).
   */
  private async makeRoom(file: OpenFile, checkpoint: FileCheckpoint): Promise<boolean> {
    if (checkpoint.pending.length === 0 && file.size <= checkpoint.offset) return false;
    const now = monotonicNow();
    const idle = [...this.tailers.values()]
      .filter((tailer) => tailer.detachedAt === undefined && tailer.isDrained(now, IDLE_CLOSE_MS))
      .sort((a, b) => a.lastActiveAt - b.lastActiveAt)[0];
    if (idle === undefined) {
      if (!this.descriptorsWarned) {
        this.descriptorsWarned = true;
        this.logger.warn({ limit: this.options.maxOpenFiles ?? 512 }, "every open file has unshipped lines; more files wait until one is drained");
      }
      return false;
    }
    this.descriptorsWarned = false;
    this.tailers.delete(idle.identity);
    this.forgetNames(idle);
    // Drained when closed: deleted later, it loses nothing (no "gone unread" warning).
    this.releasedSizes.set(idle.checkpoint, idle.checkpoint.offset + idle.bytesBehind);
    this.noteClosedSize(idle.checkpoint, idle.checkpoint.offset + idle.bytesBehind);
    await idle.close();
    return true;
  }

  /**
   * Followed, or being attached now (its attach awaits reads before it
   * tracks): a second tailer on one identity would overwrite the first in
   * `tailers`, which then runs on unpolled, its descriptor never closed.
   */
  private isTaken(identity: string): boolean {
    return this.tailers.has(identity) || this.attachingIdentities.has(identity);
  }

  /** @param readTo bytes past it are not read (a file taken out of --watch: its recorded uploads only) */
  private track(file: OpenFile, checkpoint: FileCheckpoint, detachedAt: number | undefined, readTo?: number): void {
    const tailer = new Tailer(this.ctx, file, checkpoint, this.options.flushIntervalMs, monotonicNow());
    tailer.detachedAt = detachedAt;
    tailer.readTo = readTo;
    this.tailers.set(tailer.identity, tailer);
    tailer.start();
  }

  /** After a restart: finish files that were rotated away while the shipper was down. */
  private async adoptRotated(): Promise<void> {
    const tracked = new Set([...this.tailers.values()].map((tailer) => tailer.checkpoint));
    for (const checkpoint of [...this.ctx.state.files]) {
      if (tracked.has(checkpoint)) continue;
      const search = await findRenamed(checkpoint);
      if (search.kind === "found") {
        renamedTo(checkpoint, search.file.path, this.isMatch(checkpoint.path));
        await this.finishRenamed(search.file, checkpoint, "finishing a file that was rotated away while stopped");
      } else if (search.kind === "in-place" && !this.isMatch(checkpoint.path)) {
        await this.finishInPlace(checkpoint, checkpoint.offset);
      } else {
        await this.settleUnfound(checkpoint, search);
      }
    }
  }

  /**
   * A checkpoint's file found under another name: read to its end if it was
   * rotated; if it had been taken out of --watch before, only its recorded
   * uploads go (nothing, if it has none), whatever it was renamed to.
   */
  private async finishRenamed(file: OpenFile, checkpoint: FileCheckpoint, rotatedMessage: string): Promise<void> {
    if (!replayOnly(checkpoint)) {
      this.logger.info({ path: file.path }, rotatedMessage);
      this.track(file, checkpoint, monotonicNow());
    } else if (checkpoint.pending.length > 0) {
      logUnwatchedReplay(this.logger, file.path, checkpoint);
      this.track(file, checkpoint, monotonicNow(), recordedEnd(checkpoint));
    } else {
      await file.handle.close();
    }
  }

  /**
   * A checkpoint at its own path, which no glob matches: a rotated file whose
   * new name a previous run already saved (it adopted or followed the file)
   * but did not drain before it was killed, or that was let go and has grown
   * past `seenTo` since. Unless it is finished here, its remaining lines and
   * recorded uploads are never read again. A file taken out of --watch sends
   * the uploads a run recorded while it was watched (their keys are decided)
   * and is then left alone: nothing past them is read.
   */
  private async finishInPlace(checkpoint: FileCheckpoint, seenTo: number): Promise<void> {
    if (!finishesInPlace(checkpoint)) return;
    const file = await openFile(checkpoint.path).catch(() => undefined);
    if (file === undefined) return;
    const unwatched = replayOnly(checkpoint);
    const unshipped = checkpoint.pending.length > 0 || (!unwatched && file.size > seenTo);
    if (!unshipped || this.isTaken(`${file.dev}:${file.ino}`)) {
      await file.handle.close();
    } else if (await matchesCheckpoint(file, checkpoint)) {
      await this.finishRenamed(file, checkpoint, "finishing a file that was rotated away");
    } else {
      await file.handle.close();
      // Copied and truncated while nothing followed it: its recorded uploads
      // are in the copy. Without one, they are lost, and said.
      if (checkpoint.pending.length > 0 && !(await this.finishFromCopy(checkpoint, checkpoint.path))) {
        this.logger.error({ path: checkpoint.path, uploads: checkpoint.pending.length }, "recorded uploads cannot be replayed: the file was truncated and no copy was found");
      }
    }
  }

  /**
   * A checkpoint whose file was not found where it was: forget it only when the file is certainly gone.
   * @param readToEnd this run read the file to its end (let go once drained): nothing of it can be lost
   */
  private async settleUnfound(checkpoint: FileCheckpoint, search: Exclude<RenameSearch, { kind: "found" }>, readToEnd = false): Promise<void> {
    if (search.kind === "in-place") return;
    if (search.kind === "unknown") {
      this.logger.warn({ path: checkpoint.path, code: search.code }, "cannot look for this file now; keeping its checkpoint");
      return;
    }
    const lost = await notSpooled(this.ctx, checkpoint);
    if (lost > 0) {
      this.logger.error({ path: checkpoint.path, uploads: lost }, "file is gone with unconfirmed uploads; they may be missing in S3");
    }
    if (!readToEnd && checkpoint.rotated !== true && this.isMatch(checkpoint.path)) warnGoneUnread(this.logger, checkpoint);
    this.dropCheckpoint(checkpoint);
  }

  /**
   * copytruncate or truncation: start the new content under a new source id.
   * The old content's unread bytes are gone from the file; after a copytruncate
   * they are in the copy, and the old checkpoint moves there to finish them.
   */
  private async restartTruncated(tailer: Tailer): Promise<void> {
    await tailer.settle();
    // Until the new content has its tailer, a scan or a file event must not
    // attach the file as new: that would be a second tailer on it, shipping
    // every line twice (finishing from the copy can wait long for a slot).
    this.attachingIdentities.add(tailer.identity);
    try {
      this.tailers.delete(tailer.identity);
      if (!(await this.finishFromCopy(tailer.checkpoint, tailer.file.path))) {
        const lost = tailer.bytesBehind;
        this.logger.warn(
          { path: tailer.file.path, unreadBytes: lost },
          lost > 0 ? "file was truncated before all of it was read; those bytes are lost" : "file was truncated; reading it from the start",
        );
        this.dropCheckpoint(tailer.checkpoint);
      }
      // A file taken out of --watch is not read again, whatever it holds now.
      if (tailer.readTo !== undefined) {
        this.forgetNames(tailer);
        await tailer.close();
        await this.ctx.saver.persist();
        return;
      }
      // Its size is the one it had when it was opened: read from the start again, as if empty.
      const file = { ...tailer.file, size: 0 };
      const fresh = await freshCheckpoint(file);
      this.ctx.state.files.push(fresh);
      this.track(file, fresh, tailer.detachedAt);
      this.forgetNames(tailer, this.tailers.get(tailer.identity));
    } finally {
      this.attachingIdentities.delete(tailer.identity);
    }
    await this.ctx.saver.persist();
  }

  /**
   * The daemon reads lazily: lines that do not fill a batch wait in the file
   * for the flush interval. logrotate's copytruncate copies the file before it
   * truncates it, so those lines (and any recorded upload not yet
   * acknowledged) are in the copy: follow it as a rotated file, under the old
   * source id, from where reading stopped. Only lines written between the copy
   * and the truncation are lost.
   */
  private async finishFromCopy(checkpoint: FileCheckpoint, path: string): Promise<boolean> {
    // A file followed already, or closed to save descriptors with its
    // checkpoint kept, ships whole on its own: another file with the same
    // head (a.log beside b.log, both starting with the same banner) is passed
    // over for one that is not.
    const found = await findCopy(
      checkpoint,
      async (file) => this.isTaken(`${file.dev}:${file.ino}`) || (await this.shippedOnItsOwn(file, checkpoint)),
    );
    if (found === undefined) return false;
    if (found.followed) {
      // A glob that matches the copy already ships it whole, as a new file.
      await found.file.handle.close();
      return false;
    }
    const copy = found.file;
    this.logger.info({ path, copy: copy.path, unreadBytes: copy.size - recordedEnd(checkpoint) }, "file was copied and truncated; finishing its old content from the copy");
    // A file out of --watch sends from the copy only what it had recorded.
    const watched = this.isMatch(path) || !replayOnly(checkpoint);
    moveCheckpoint(checkpoint, copy, watched);
    this.track(copy, checkpoint, monotonicNow(), watched ? undefined : recordedEnd(checkpoint));
    if (watched) await this.finishLaterCopies(path, copy);
    return true;
  }

  /**
   * Copied and truncated more than once before the first truncation was seen
   * (an S3 outage holds every poll): each later copy holds a content no poll
   * read. Followed like a rotated file, whole, under a source id of its own.
   */
  private async finishLaterCopies(path: string, copy: OpenFile): Promise<void> {
    const followed = (file: OpenFile): boolean => this.isMatch(file.path) || this.isTaken(`${file.dev}:${file.ino}`);
    for (const later of await findLaterCopies(path, copy, this.ctx.state.files, followed)) {
      this.logger.info({ path, copy: later.path, bytes: later.size }, "file was copied and truncated again before the first truncation was seen; shipping the later copy whole");
      const checkpoint = await laterCopyCheckpoint(later);
      this.ctx.state.files.push(checkpoint);
      this.track(later, checkpoint, monotonicNow());
    }
  }

  /**
   * Whether another checkpoint holds the copy: a glob matches it and ships it
   * as a file of its own. One of the same inode but other content is a
   * deleted file's (logrotate's `rotate 1` removes the last copy just before
   * it copies again, and ext4 hands the freed inode to the new copy): dropped,
   * or the new copy would be taken as shipped and its unread lines lost.
   */
  private async shippedOnItsOwn(copy: OpenFile, checkpoint: FileCheckpoint): Promise<boolean> {
    let shipped = false;
    for (const other of this.ctx.state.files.filter((candidate) => candidate !== checkpoint && candidate.dev === copy.dev && candidate.ino === copy.ino)) {
      if (await matchesCheckpoint(copy, other)) shipped = true;
      else this.dropCheckpoint(other);
    }
    return shipped;
  }

  private async release(tailer: Tailer): Promise<void> {
    this.tailers.delete(tailer.identity);
    this.forgetNames(tailer);
    // A trailing partial line stays behind; only growth past it is news.
    this.releasedSizes.set(tailer.checkpoint, tailer.checkpoint.offset + tailer.bytesBehind);
    await tailer.close();
    // The checkpoint stays while the file exists, so a glob that also matches
    // rotated names never ships it again; pruned once the file is gone.
    const search = await findRenamed(tailer.checkpoint);
    if (search.kind === "found") {
      renamedTo(tailer.checkpoint, search.file.path, tailer.readTo === undefined);
      await search.file.handle.close();
    } else {
      await this.settleUnfound(tailer.checkpoint, search, true);
    }
    await this.ctx.saver.persist();
  }

  private dropCheckpoint(checkpoint: FileCheckpoint): void {
    const index = this.ctx.state.files.indexOf(checkpoint);
    if (index !== -1) this.ctx.state.files.splice(index, 1);
  }

  private checkRotatedBound(): void {
    const limit = this.options.maxRotatedOpen ?? 64;
    const rotated = [...this.tailers.values()].filter((tailer) => tailer.detachedAt !== undefined).length;
    if (rotated > limit && !this.rotatedWarned) {
      this.rotatedWarned = true;
      this.logger.error(
        { rotated, limit },
        "many rotated files are still not shipped (S3 unreachable?); if they are deleted before they ship, their remaining lines are lost",
      );
    } else if (rotated <= limit) {
      this.rotatedWarned = false;
    }
  }
}
