import { stat } from "node:fs/promises";
import type { Logger } from "pino";
import { errorMessage } from "../log/errorMessage.js";
import { RepeatedErrors } from "../log/RepeatedErrors.js";
import { bytesBehind } from "../source/bytesBehind.js";
import { expandGlobs, globBase, globMatcher, MAX_WALK_DEPTH, TOO_DEEP } from "../source/expandGlobs.js";
import { isRefusedLink, judgedFrom, REFUSED_LINK, type RefusedLink } from "../source/linkTrust.js";
import { finishesInPlace, moveCheckpoint, recordedEnd, renamedTo, replayOnly, type FileCheckpoint } from "../source/FileCheckpoint.js";
import { findCopy } from "../source/findCopy.js";
import { findLaterRotations, laterRotationCheckpoint } from "../source/findLaterRotations.js";
import { checkpointsOf } from "../source/checkpointsOf.js";
import { findRenamed, type RenameSearch } from "../source/findRenamed.js";
import { currentSize, openFile, type OpenFile } from "../source/openFile.js";
import { PathsProvider } from "../source/PathsProvider.js";
import { freshCheckpoint, matchesCheckpoint, resolveCheckpoint } from "../source/resolveCheckpoint.js";
import { unmatchedPatterns } from "../source/unmatchedPatterns.js";
import { monotonicNow } from "../time/monotonicNow.js";
import { notSpooled, sendSpooled } from "./sendSpooled.js";
import type { ShipContext } from "./ShipContext.js";
import { saveAtStart } from "./saveAtStart.js";
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
  /**
   * How often every tailer is polled (new bytes, rotations, truncations). A
   * flush deadline that comes before the next tick has a timer of its own
   * (scheduleDeadline), so the flush interval does not wait for it.
   */
  tickMs?: number;
  /** Full glob rescan: catches what file events missed (new directories, unreadable files that became readable). */
  rescanMs?: number;
  /** A rotated-away file is let go once drained and quiet this long (writers may still hold it open briefly). */
  rotateWaitMs?: number;
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

/**
 * Past this many rotated files still followed (not yet drained and let go),
 * checkRotatedBound logs an error once, until they are back under it. Only a
 * warning threshold: no rotated file is closed or refused for it.
 */
const ROTATED_UNSHIPPED_ALARM = 64;

/** After the stop timeout's abort, how long the stop still waits for the flush before it saves state. */
const AFTER_ABORT_MS = 5_000;

/**
 * The share of --stop-timeout in which the stop flush goes on cutting a
 * backlog's batches, once every file's pending lines had their turn: the
 * rest is left to the uploads under way, so that they finish within the
 * timeout instead of being cancelled (and spooled) at it.
 */
const BACKLOG_SHARE_OF_STOP = 0.5;

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
  private readonly watcherErrors: RepeatedErrors;
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
  /** A pass over the files (a tick, or a catch-up pass) is running: one at a time. */
  private ticking = false;
  /** A tick was asked for (the interval, urgent mode) while a pass ran: it runs as soon as that ends. */
  private tickWanted = false;
  /** The pass scheduled to run at once (passAgain). */
  private again: NodeJS.Immediate | undefined;
  private rotatedWarned = false;
  /** The patterns whose walk MAX_WALK_DEPTH cut, said already. */
  private readonly tooDeep = new Set<string>();
  private descriptorsWarned = false;
  private readonly logger: Logger;
  /** Where the symlink trust rule starts judging a watched path (its glob's base). */
  private readonly judgeFrom: (path: string) => string;
  /** The links refused, said already: once per link and target. */
  private readonly refusedLinks = new Set<string>();

  constructor(
    private readonly ctx: ShipContext,
    private readonly options: DaemonOptions,
  ) {
    this.logger = ctx.logger;
    this.watcherErrors = new RepeatedErrors(ctx.logger, "file watcher error");
    this.isMatch = globMatcher(options.patterns);
    this.judgeFrom = judgedFrom(options.patterns.map(globBase));
    this.paths = new PathsProvider(
      options.patterns,
      {
        added: (path) => void this.attach(path),
        changed: (path) => {
          const tailer = this.byPath.get(path);
          // A file closed to save descriptors is opened again when it is written.
          // Never urgent: in urgent mode the tick uploads what is pending once a
          // tick; urgent polls here made every write event a PUT of its own.
          // A poll cuts one batch: a file left with more is the catch-up's.
          void (tailer ? tailer.poll(monotonicNow(), false).then(() => this.passAgain()) : this.attach(path));
        },
        // Once per kind per interval: each looping link a local user plants is an error of its own.
        error: (error) => this.watcherErrors.report(error),
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
    // During a pass, the tick runs as soon as the pass ends: within one batch per file.
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
          bytesBehind: bytesBehind(size, checkpoint.offset),
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
   * SIGTERM: stop watching, hand every file's pending complete lines to an
   * upload, and a backlog's further batches until a share of `timeoutMs`
   * (BACKLOG_SHARE_OF_STOP; the rest of it is read at the next start); wait
   * for the uploads until `timeoutMs`, save state. What did not finish stays
   * in the state as upload intents (or in the spool) and is replayed under
   * the same keys at next start.
   * Never throws: a failure here is logged, and the state saved as far as it can be.
   */
  async stop(timeoutMs: number, abort: AbortController): Promise<void> {
    this.stopping = true;
    this.halt.abort();
    clearInterval(this.tick);
    clearTimeout(this.deadline);
    clearImmediate(this.again);
    clearInterval(this.rescan);
    await this.paths.close();
    this.watcherErrors.summarize(monotonicNow(), true);
    const stopDeadline = monotonicNow() + timeoutMs;
    const flush = this.flushAtStop(abort.signal, timeoutMs * BACKLOG_SHARE_OF_STOP).catch((error: unknown) => {
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

  /**
   * The passes it waits for end at their next file (they stop at `stopping`),
   * and each of their polls cuts one batch at most. Then every file gets a
   * turn, the least behind first, round after round: a file catching up on a
   * backlog gets a batch a round, so the other files' pending lines go up
   * first, not behind the backlog. Once every file has had its turns, the
   * backlog goes on for `backlogMs` at most (a share of the stop timeout), and
   * none of its batches is cut once the stop timeout aborts the uploads (each
   * file's own turns are, to be spooled).
   */
  private async flushAtStop(signal: AbortSignal, backlogMs: number): Promise<void> {
    const backlogUntil = monotonicNow() + backlogMs;
    while (!signal.aborted && (this.ticking || this.deadlinePass !== undefined || this.rescanning || this.attaching.size > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Followed files first: their lines go up before the last look spends
    // time on the paths, and a file that has just grown is not the idle one
    // that makeRoom() closes to attach a new file at the descriptor bound.
    // Not stopped by the timeout: a batch cut now goes to the spool if its
    // upload is cancelled, and the spool is what keeps its lines if the
    // file is truncated or deleted before the next start.
    await this.stopRound([...this.tailers.values()]);
    if (!signal.aborted) await this.lastLook(signal);
    await this.stopRound([...this.tailers.values()]);
    // The backlog, a batch per file and round, while the stop allows it.
    const backlog = new AbortController();
    const timer = setTimeout(() => backlog.abort(), Math.max(0, backlogUntil - monotonicNow()));
    const cancel = (): void => backlog.abort();
    signal.addEventListener("abort", cancel);
    try {
      for (let more = this.catchingUp(); more.length > 0 && !backlog.signal.aborted; more = this.catchingUp()) {
        await this.stopRound(more, backlog.signal);
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", cancel);
    }
    const left = this.catchingUp().length;
    if (left > 0) this.logger.info({ files: left }, "the stop reads no further: the rest of the backlog is shipped at the next start");
    await Promise.all([...this.tailers.values()].map((tailer) => tailer.settle()));
  }

  /** The files whose last poll left batches to cut. */
  private catchingUp(): Tailer[] {
    return [...this.tailers.values()].filter((tailer) => tailer.hasMore);
  }

  /**
   * One turn each, regardless of the flush interval, the least behind first:
   * a quiet file's few lines take an upload slot before a backlog's next batch.
   */
  private async stopRound(tailers: Tailer[], stop?: AbortSignal): Promise<void> {
    for (const tailer of tailers.sort((a, b) => a.bytesBehind - b.bytesBehind)) await tailer.poll(monotonicNow(), true, stop);
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
      const paths = await this.matchedPaths();
      for (const path of paths) {
        if (signal.aborted) return;
        await this.attach(path);
      }
    } finally {
      this.lookingLast = false;
    }
  }

  private async onTick(): Promise<void> {
    if (this.stopping) return;
    if (this.ticking) {
      // Not dropped: a catch-up's passes follow one another, and the ticks
      // (paths, rotations, urgent mode) must still come between them.
      this.tickWanted = true;
      return;
    }
    await this.pass(async () => {
      const now = monotonicNow();
      this.polledUpTo = now;
      for (const tailer of [...this.tailers.values()]) {
        if (this.stopping) break;
        if (tailer.detachedAt === undefined) await this.checkPath(tailer);
        await this.pollInPass(tailer, now);
      }
      this.checkRotatedBound();
    });
  }

  /**
   * A file left with batches to cut (hasMore) is polled again at once, by a
   * pass over those files only: one batch each, after which the other files'
   * polls (the deadline's, the tick's) take their turn at the upload slots.
   * No spin: each of its polls waits for an upload slot before it cuts.
   */
  private async catchUpPass(): Promise<void> {
    if (this.ticking || this.stopping) return;
    await this.pass(async () => {
      for (const tailer of this.catchingUp()) {
        if (this.stopping) break;
        if (this.tailers.get(tailer.identity) === tailer) await this.pollInPass(tailer, monotonicNow());
      }
    });
  }

  /**
   * Runs one pass over the files (a tick's, a catch-up's), the only one
   * running; then the next deadline, and the pass that is due next.
   */
  private async pass(body: () => Promise<void>): Promise<void> {
    this.ticking = true;
    try {
      await body();
    } catch (error) {
      // A state save that failed (a full or read-only disk): the next tick
      // saves again. Uncaught, it would end the process without a stop flush.
      this.logger.error({ code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) }, "a poll of the files failed; trying again at the next tick");
    } finally {
      this.ticking = false;
      this.scheduleDeadline();
      this.passAgain();
    }
  }

  /** After a pass: the tick asked for meanwhile, else the files with batches left to cut; nothing when idle. */
  private passAgain(): void {
    if (this.stopping || this.ticking || this.again !== undefined) return;
    const next = this.tickWanted ? () => this.onTick() : this.catchingUp().length > 0 ? () => this.catchUpPass() : undefined;
    if (next === undefined) return;
    this.tickWanted = false;
    this.again = setImmediate(() => {
      this.again = undefined;
      void next();
    });
  }

  /** One file's poll in a pass, and what its outcome asks for: a truncated file restarted, a drained rotated one let go. */
  private async pollInPass(tailer: Tailer, now: number): Promise<void> {
    // A rotated file's pending lines go at once, every batch of them.
    const drainNow = tailer.detachedAt !== undefined && !this.drainedAfterRotation.has(tailer);
    const outcome = await tailer.poll(now, this.urgent || drainNow);
    if (drainNow && !tailer.hasMore) this.drainedAfterRotation.add(tailer);
    if (outcome === "truncated") await this.restartTruncated(tailer);
    else if (tailer.detachedAt !== undefined && tailer.isDrained(now, this.options.rotateWaitMs ?? 5_000)) {
      await this.release(tailer);
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
      const lookedUpTo = this.polledUpTo;
      this.polledUpTo = now;
      // Only the deadlines not looked at yet: those up to lookedUpTo are the
      // tick's. A file catching up is polled again at once by its own passes;
      // polled here, its wait for an upload slot would hold the files after it.
      const due = [...this.tailers.values()].filter((tailer) => {
        const deadline = (tailer.pendingSince ?? Number.POSITIVE_INFINITY) + this.options.flushIntervalMs;
        return deadline > lookedUpTo && deadline <= now && !tailer.hasMore;
      });
      // A poll never rejects; one in progress (the tick's) is shared. The
      // stop waits for this pass and polls every file itself: none after it.
      // All at once: their waits for an upload slot queue together, so that
      // the files due take the slots as they free up, one after another, and
      // not each behind a batch of a file catching up.
      await Promise.all(
        due.map(async (tailer) => {
          if (this.stopping) return;
          await tailer.poll(now, false);
          // Shared with a poll the tick began before the deadline, which found
          // nothing due yet: once more, now. (One that cut its batch and left
          // more hands the file to the catch-up.)
          const since = tailer.pendingSince;
          if (since !== undefined && !tailer.hasMore && monotonicNow() - since >= this.options.flushIntervalMs && !this.stopping) await tailer.poll(monotonicNow(), false);
        }),
      );
    })().finally(() => {
      this.deadlinePass = undefined;
      this.scheduleDeadline();
      this.passAgain();
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
      // Its last change is known whether it was renamed or deleted since
      // (`rotate 1` deletes the generation it follows and renames the next
      // one onto its name): the descriptor is still open.
      await this.finishMissedGenerations(path, tailer.file);
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

  /** The files the globs match now; what the walk cannot enter or refuses is said (once), never thrown. */
  private async matchedPaths(): Promise<string[]> {
    return await expandGlobs(
      this.options.patterns,
      (dir, error) => this.reportUnreadable(dir, error.code ?? error.message),
      this.options.excludedDirs,
      (pattern, dir) => this.reportTooDeep(pattern, dir),
      (refusal) => this.reportRefusedLink(refusal),
    );
  }

  /** Attaches every file the globs match now; returns their paths. */
  private async scan(): Promise<string[]> {
    if (this.stopping) return [];
    const paths = await this.matchedPaths();
    for (const path of paths) await this.attach(path);
    return paths;
  }

  private async rescanNow(): Promise<void> {
    if (this.rescanning) return;
    this.rescanning = true;
    this.watcherErrors.summarize();
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
        const from = checkpoint.path;
        // A file closed to save descriptors, renamed away from its watched
        // path: no tailer saw it go, so no search for the generations after it was made.
        const missed = this.isMatch(from) ? await this.findMissedGenerations(from, search.file) : [];
        renamedTo(checkpoint, search.file.path, this.isMatch(from));
        await this.followMissedGenerations(from, missed);
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

  /** Once per pattern for the daemon's life: every scan would say it again. */
  private reportTooDeep(pattern: string, dir: string): void {
    if (this.tooDeep.has(pattern)) return;
    this.tooDeep.add(pattern);
    this.logger.warn({ pattern, dir, maxDepth: MAX_WALK_DEPTH }, TOO_DEEP);
  }

  /**
   * A symlink the trust rule refuses (linkTrust): said at warn, once per link
   * and target, never an error: it is not a file of ours that we failed to
   * read, and the other files ship on.
   */
  private reportRefusedLink(refusal: RefusedLink): void {
    const key = `${refusal.link}\0${refusal.target}`;
    if (this.refusedLinks.has(key)) return;
    if (this.refusedLinks.size >= 10_000) this.refusedLinks.clear();
    this.refusedLinks.add(key);
    this.logger.warn(refusal, REFUSED_LINK);
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
    // Not a rotated file still read to its end: its checkpoint keeps the path
    // until it is let go, while a new file there (created 0640 root:adm) may
    // be the one that cannot be opened.
    const detached = new Set([...this.tailers.values()].filter((tailer) => tailer.detachedAt !== undefined).map((tailer) => tailer.checkpoint));
    const known = new Set(this.ctx.state.files.filter((checkpoint) => !detached.has(checkpoint)).map((checkpoint) => checkpoint.path));
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
      file = await openFile(path, this.judgeFrom(path));
    } catch (error) {
      if (isRefusedLink(error)) {
        this.reportRefusedLink(error.refusal);
        return;
      }
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
        const from = checkpoint.path;
        // Before the file is read on: a writer still adding to it would make it look newer than the generations after it.
        const missed = this.isMatch(from) ? await this.findMissedGenerations(from, search.file) : [];
        renamedTo(checkpoint, search.file.path, this.isMatch(from));
        await this.finishRenamed(search.file, checkpoint, "finishing a file that was rotated away while stopped");
        await this.followMissedGenerations(from, missed);
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
    const file = await openFile(checkpoint.path, this.judgeFrom(checkpoint.path)).catch(() => undefined);
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
    const later = await findLaterRotations(path, copy, this.ctx.state.files, (file) => this.isFollowed(file));
    await this.followLaterRotations(later, (file) =>
      this.logger.info({ path, copy: file.path, bytes: file.size }, "file was copied and truncated again before the first truncation was seen; shipping the later copy whole"),
    );
  }

  /**
   * The followed file `known` left the watched `path` (renamed, or deleted
   * after a rename): the files created at the path and rotated away before
   * this daemon opened one (an S3 outage holds every poll, and a new file at
   * the path waits for a scan; or renamed while the daemon was stopped). No
   * checkpoint knows them and no glob matches their rotated names: without
   * this they are never read. Found open, oldest first; the file now at the
   * path is no candidate (the glob matches it), nor one followed already.
   */
  private async findMissedGenerations(path: string, known: OpenFile): Promise<OpenFile[]> {
    return await findLaterRotations(path, known, this.ctx.state.files, (file) => this.isFollowed(file));
  }

  /** Follows generations findMissedGenerations found, each whole, as a rotated file under a source id of its own. */
  private async followMissedGenerations(path: string, missed: readonly OpenFile[]): Promise<void> {
    await this.followLaterRotations(missed, (file) =>
      this.logger.info({ path, rotated: file.path, bytes: file.size }, "file was rotated again before the first rotation was seen; shipping a generation no poll read whole"),
    );
  }

  /**
   * The poll's search, when it sees a followed file gone from its path. A
   * failure is said, not thrown: the poll must still attach the new file at
   * the path, and no later poll looks again (the file is detached by then).
   */
  private async finishMissedGenerations(path: string, known: OpenFile): Promise<void> {
    let missed: OpenFile[];
    try {
      missed = await this.findMissedGenerations(path, known);
    } catch (error) {
      this.logger.error(
        { path, code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) },
        "cannot look for files rotated away from this path before the rotation was seen; any such file is not shipped",
      );
      return;
    }
    await this.followMissedGenerations(path, missed);
  }

  /** Matched by a glob (shipped on its own), or followed now or being attached. */
  private isFollowed(file: OpenFile): boolean {
    return this.isMatch(file.path) || this.isTaken(`${file.dev}:${file.ino}`);
  }

  /**
   * Later rotations (findLaterRotations), each followed like a rotated file,
   * whole, under a source id of its own; `announce` logs each one followed.
   * One the search found free may have been attached since (a scan or a file
   * event opened it at the watched path a moment before it was renamed): it
   * is checked again, and marked as being attached while its checkpoint is
   * made, or it would get two tailers and ship twice.
   */
  private async followLaterRotations(later: readonly OpenFile[], announce: (file: OpenFile) => void): Promise<void> {
    for (const file of later) {
      const identity = `${file.dev}:${file.ino}`;
      if (this.isTaken(identity)) {
        await file.handle.close();
        continue;
      }
      this.attachingIdentities.add(identity);
      try {
        announce(file);
        const checkpoint = await laterRotationCheckpoint(file);
        this.ctx.state.files.push(checkpoint);
        this.track(file, checkpoint, monotonicNow());
      } catch (error) {
        // No later search finds it again once the rotation is handled: said, not thrown past the files after it.
        await file.handle.close().catch(() => undefined);
        this.logger.error({ path: file.path, code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) }, "cannot read this rotated file; its lines are not shipped");
      } finally {
        this.attachingIdentities.delete(identity);
      }
    }
  }

  /**
   * Whether another checkpoint holds the copy: a glob matches it and ships it
   * as a file of its own. One of the same inode but other content is a
   * deleted file's (checkpointsOf): dropped, or the new copy would be taken as
   * shipped and its unread lines lost.
   */
  private async shippedOnItsOwn(copy: OpenFile, checkpoint: FileCheckpoint): Promise<boolean> {
    const { holding, reused } = await checkpointsOf(
      this.ctx.state.files.filter((candidate) => candidate !== checkpoint),
      copy,
    );
    for (const other of reused) this.dropCheckpoint(other);
    return holding.length > 0;
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
    const limit = ROTATED_UNSHIPPED_ALARM;
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
