import { errorMessage } from "../log/errorMessage.js";
import { recordedEnd, type FileCheckpoint } from "../source/FileCheckpoint.js";
import { currentSize, type OpenFile } from "../source/openFile.js";
import { monotonicNow } from "../time/monotonicNow.js";
import { FileShipper } from "./FileShipper.js";
import type { ShipContext } from "./ShipContext.js";
import { isAborted } from "./isAborted.js";
import { TruncatedError } from "./TruncatedError.js";

export type PollOutcome = "ok" | "truncated" | "failed";

/**
 * Batches one poll may cut. A file catching up on a backlog would otherwise
 * hold the daemon's pass for as long as its backlog takes upload slots (the
 * whole catch-up, when S3 is the bottleneck), and with it every other file's
 * due lines, urgent mode and the stop. The daemon polls a file left with
 * batches to cut again at once (hasMore): between two of its batches, every
 * other file gets its turn at the upload slots.
 */
export const BATCHES_PER_POLL = 1;

/**
 * Follows one file identity through its open descriptor, so a rotated or
 * deleted file is read to its end. Decides when its lines go: full batches at
 * once, the remainder when the oldest unshipped bytes are `flushIntervalMs` old
 * (or at once in urgent mode: shutdown, instance termination notices).
 * Every time it is given or keeps is a monotonicNow() reading: a wall clock
 * stepped back would hold the waiting lines for the size of the step.
 */
export class Tailer {
  private shipper: FileShipper;
  /** The poll in progress, shared by callers who arrive meanwhile. */
  private running: Promise<PollOutcome> | undefined;
  /** Size at the last poll. */
  private seenSize: number;
  /** When bytes not yet handed to an upload were first seen. */
  private waitingSince: number | undefined;
  /** When the bytes last handed to uploads were first seen: they wait again if those uploads fail. */
  private handedSince: number | undefined;
  /**
   * While the shipper has failed (its intent could not be saved: a full state
   * dir; a read error): since when the bytes it held have waited. They are
   * in no upload until a retry succeeds.
   */
  private stuckSince: number | undefined;
  private lastGrowthAt: number;
  /** Set when the path no longer leads to this file (renamed away or deleted). */
  detachedAt: number | undefined;
  /** Bytes past it are never read: a file taken out of --watch sends only its recorded uploads. */
  readTo: number | undefined;
  private failureReported = false;
  /** The acknowledged offset when the failure was reported: once past it, the file ships again. */
  private failedAtOffset = 0;
  private retryAt = 0;
  /** Let go by the daemon (closed to make room at the descriptor cap, released, stopped). */
  private closed = false;
  /** The last poll stopped at BATCHES_PER_POLL with lines left to cut. */
  private more = false;

  constructor(
    private readonly ctx: ShipContext,
    readonly file: OpenFile,
    readonly checkpoint: FileCheckpoint,
    private readonly flushIntervalMs: number,
    now: number,
  ) {
    this.shipper = new FileShipper(ctx, file, checkpoint);
    this.seenSize = recordedEnd(checkpoint);
    this.lastGrowthAt = now;
    // Bytes the file held when it was opened were seen then: their wait
    // counts from there, not from the first poll (up to a tick later).
    if (file.size > this.seenSize) this.waitingSince = now;
  }

  get identity(): string {
    return `${this.file.dev}:${this.file.ino}`;
  }

  /** Bytes in the file beyond what S3 has acknowledged. */
  get bytesBehind(): number {
    return Math.max(0, this.seenSize - this.checkpoint.offset);
  }

  /** When the file last grew (or was opened): the least recently active are closed first. */
  get lastActiveAt(): number {
    return this.lastGrowthAt;
  }

  /**
   * The last poll cut all the batches one poll may and left lines it would
   * have cut: full batches, or, due, the remainder. Polled again, it cuts on.
   */
  get hasMore(): boolean {
    return this.more;
  }

  /** When the oldest bytes not yet handed to an upload were first seen (undefined: none). */
  get pendingSince(): number | undefined {
    return this.waitingSince;
  }

  /**
   * For ship_logs_oldest_pending_seconds: pendingSince, or, while the
   * shipper has failed (an intent that could not be saved), since when the
   * bytes it held have waited: handed to an upload that never started,
   * they are not on their way.
   */
  get waitingFor(): number | undefined {
    const stuck = this.shipper.error !== undefined || this.failureReported ? this.stuckSince : undefined;
    if (stuck === undefined) return this.waitingSince;
    return this.waitingSince === undefined ? stuck : Math.min(stuck, this.waitingSince);
  }

  /**
   * Replays the uploads a previous run recorded, as this tailer's first poll:
   * later polls wait for it, the caller does not. With S3 down, replays wait
   * for upload slots as long as it stays down, and a daemon whose start
   * waited with them could not even be stopped.
   */
  start(): void {
    const replay = this.outcomeOf(async () => {
      await this.shipper.replayPending();
      return "ok";
    });
    this.running = replay.finally(() => {
      this.running = undefined;
    });
  }

  /**
   * Everything complete is acknowledged and the file has been quiet for
   * `quietMs`: a rotated file can be let go. A trailing partial line stays
   * behind: its newline will never come once the writer moved on.
   */
  isDrained(now: number, quietMs: number): boolean {
    return (
      this.running === undefined &&
      this.checkpoint.pending.length === 0 &&
      this.waitingSince === undefined &&
      now - this.lastGrowthAt >= quietMs
    );
  }

  /**
   * Reads what is new and hands it to uploads. A caller that finds a poll in
   * progress (a file event, the tick) shares its outcome; an urgent one then
   * polls again, because the running poll may be a routine one that leaves the
   * remainder for the flush interval: skipping the final flush at shutdown
   * that way left the newest lines unshipped. A poll cuts at most
   * BATCHES_PER_POLL batches (hasMore says whether lines are left to cut),
   * and none once `stop` is aborted.
   */
  async poll(now: number, urgent: boolean, stop?: AbortSignal): Promise<PollOutcome> {
    // A pass that listed the followed files before this one was closed (an
    // attach during the tick made room at the descriptor cap) still polls
    // it: there is nothing to read through a closed descriptor, and no
    // failure to say (it was an EBADF "file closed" at error). Its checkpoint
    // stays; the file is opened again when written.
    if (this.closed) return "ok";
    while (this.running) {
      const outcome = await this.running;
      if (!urgent || outcome === "truncated") return outcome;
    }
    const running = this.pollOnce(now, urgent, stop).finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /**
   * A truncation is the daemon's to handle; any other failure is reported
   * once and retried after 5 s, by a new shipper that replays what this one
   * left recorded.
   */
  private async outcomeOf(work: () => Promise<PollOutcome>): Promise<PollOutcome> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof TruncatedError) return "truncated";
      // Closed while it ran: the poll's own closing, not the file's failure.
      if (this.closed) return "ok";
      this.reportFailure(error);
      return "failed";
    }
  }

  private pollOnce(now: number, urgent: boolean, stop: AbortSignal | undefined): Promise<PollOutcome> {
    this.more = false;
    return this.outcomeOf(async () => {
      if (this.shipper.error instanceof TruncatedError) return "truncated";
      if (this.shipper.error) {
        if (now < this.retryAt) return "failed";
        this.reportFailure(this.shipper.error, this.shipper.cancelled);
        await this.shipper.settle();
        // A new shipper replays the intents the failed one left pending.
        this.shipper = new FileShipper(this.ctx, this.file, this.checkpoint);
        await this.shipper.replayPending(true);
      }
      const size = Math.min(await currentSize(this.file), this.readTo ?? Number.POSITIVE_INFINITY);
      if (size < this.shipper.nextOffset) return "truncated";
      if (size < this.seenSize) {
        // Smaller than a poll saw it, yet not below the read offset. With
        // nothing of it sent yet (a file truncated twice before its first
        // batch), that is a truncation, said as one. Otherwise it may be a
        // writer giving back space it had reserved ahead of its lines (log4j2's
        // memory-mapped appender): the lines already sent are still there, and
        // starting over would send them twice. Either way, growth from here
        // is new lines, and waits no longer than any other.
        if (this.shipper.nextOffset === 0 && this.checkpoint.offset === 0) return "truncated";
        this.seenSize = size;
        // What is there past the read offset may have been written since the last poll.
        if (size > this.shipper.nextOffset) {
          this.waitingSince ??= now;
          this.lastGrowthAt = now;
        }
      }
      if (size > this.seenSize) {
        this.waitingSince ??= now;
        this.seenSize = size;
        this.lastGrowthAt = now;
      }
      const due = urgent || (this.waitingSince !== undefined && now - this.waitingSince >= this.flushIntervalMs);
      if (due) {
        const since = this.waitingSince;
        this.more = await this.shipper.ship(size, false, stop, BATCHES_PER_POLL);
        // What was handed to uploads has waited since then (oldest_pending_seconds while they fail).
        if (since !== undefined) this.handedSince = since;
        // Lines left behind by the quantum (or the stop) have waited as long: still due.
        if (!this.more && !isAborted(stop)) this.waitingSince = undefined;
      } else {
        this.more = await this.shipper.ship(size, true, stop, BATCHES_PER_POLL);
      }
      // Uploads run on after ship() returns: only an acknowledgement proves recovery.
      if (this.failureReported && !this.shipper.error && this.checkpoint.offset > this.failedAtOffset) {
        this.failureReported = false;
        this.stuckSince = undefined;
        this.ctx.logger.info({ path: this.file.path }, "file ships again");
      }
      if (this.shipper.error instanceof TruncatedError) return "truncated";
      return this.shipper.error ? "failed" : "ok";
    });
  }

  /** Waits for the uploads already started. */
  settle(): Promise<void> {
    return this.shipper.settle();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.more = false;
    await this.file.handle.close();
  }

  /** @param cancelled the failure is the stop's cancellation of the uploads, which the stop has said once for every file */
  private reportFailure(error: unknown, cancelled = false): void {
    this.retryAt = monotonicNow() + 5_000;
    if (!cancelled && this.checkpoint.pending.length > 0) this.stuckSince ??= this.handedSince ?? monotonicNow();
    if (this.failureReported || cancelled) return;
    this.failureReported = true;
    this.failedAtOffset = this.checkpoint.offset;
    const code = (error as NodeJS.ErrnoException).code;
    this.ctx.logger.error(
      { path: this.file.path, code, err: errorMessage(error) },
      "cannot ship this file for now; retrying (its checkpoint does not move)",
    );
  }
}
