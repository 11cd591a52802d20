import { countRangeLines } from "../batch/countLines.js";
import { encodeRange } from "../batch/encodeRange.js";
import { findBatchEnd } from "../batch/findBatchEnd.js";
import { readAt } from "../fs/readAt.js";
import { INITIAL_GZIP_RATIO } from "../batch/outputBufferBytes.js";
import { readRangeChunks } from "../batch/readRangeChunks.js";
import type { Compression } from "../sink/compress.js";
import type { S3Object } from "../sink/S3Sink.js";
import type { SpoolTake } from "../sink/Spool.js";
import { errorMessage } from "../log/errorMessage.js";
import { compressStream } from "../sink/compressStream.js";
import { recordedEnd, type FileCheckpoint, type UploadIntent } from "../source/FileCheckpoint.js";
import { FINGERPRINT_BYTES, fingerprintBefore, fingerprintOf, type Fingerprint } from "../source/fingerprint.js";
import type { OpenFile } from "../source/openFile.js";
import { refreshFingerprint } from "../source/refreshFingerprint.js";
import { isAborted } from "./isAborted.js";
import type { ShipContext } from "./ShipContext.js";
import { TruncatedError } from "./TruncatedError.js";

/**
 * The file shrank below a recorded upload intent: a truncation, found on
 * replay. After a copytruncate, the copy still holds the intent's bytes.
 */
export class IntentLostError extends TruncatedError {
  override readonly name = "IntentLostError";
}

/** A line still without its newline: none in [start, scannedTo), whose first bytes `head` fingerprints. */
interface PartialLine {
  start: number;
  scannedTo: number;
  head: Fingerprint;
}

/**
 * Where an upload reads its bytes: through a pooled buffer, or, for a range
 * longer than a batch, streamed from the file, with its line count known
 * beforehand (object metadata is sent before the first byte).
 */
type UploadSource = { readonly buffer: Buffer } | { readonly streamedLines: number };

/**
 * Ships one source file: reads complete lines in batches, records each upload
 * intent durably before its PutObject, and moves the checkpoint only over the
 * prefix of intents that S3 acknowledged, so a checkpoint never passes a line
 * that is not stored, whatever order concurrent uploads finish in. A range
 * larger than `batchMaxBytes` (a single long line) is never held whole: it is
 * streamed from the file through gzip into a multipart upload, also on replay.
 */
export class FileShipper {
  private readonly acknowledged = new Set<UploadIntent>();
  /** Spooled intents replayed from the file instead (their entry could not be read): the entry goes once S3 has them. */
  private readonly spooledButReadFromFile = new Set<string>();
  private readonly tasks = new Set<Promise<void>>();
  private failure: Error | undefined;
  /** The failure came after the stop cancelled the uploads: the stop's doing, not the file's. */
  private failedCancelled = false;
  private readOffset: number;
  /** A growing long line is not scanned again for its newline. */
  private partialLine: PartialLine | undefined;
  /** Compressed ÷ raw size of this file's last batch: what the next one is expected to compress to. */
  private gzipRatio = INITIAL_GZIP_RATIO;

  constructor(
    private readonly ctx: ShipContext,
    readonly file: OpenFile,
    readonly checkpoint: FileCheckpoint,
  ) {
    this.readOffset = recordedEnd(checkpoint);
  }

  /** The first byte not yet handed to an upload. */
  get nextOffset(): number {
    return this.readOffset;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  /** Whether the error is the stop's cancellation of the uploads (`--stop-timeout`), not a failure of S3's or the file's. */
  get cancelled(): boolean {
    return this.failedCancelled;
  }

  /**
   * Re-sends the intents a previous run recorded but did not see acknowledged,
   * under their keys; or, `afterFailure`, those a failed shipper of this run
   * left (retried every few seconds while a disk is full or S3 down: said at
   * debug, not as a restart). A replay that throws leaves the shipper failed,
   * as a failed upload does: ship() must not read on past intents not yet sent.
   */
  async replayPending(afterFailure = false): Promise<void> {
    try {
      await this.replayRecorded(afterFailure);
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  private async replayRecorded(afterFailure: boolean): Promise<void> {
    if (this.checkpoint.pending.length === 0) return;
    // A spool that cannot be listed now: every intent comes from the file, as without one.
    const spooled = (await this.ctx.spool?.keys().catch(() => undefined)) ?? new Set<string>();
    let headChecked = false;
    for (const intent of [...this.checkpoint.pending]) {
      if (this.failure) return;
      // Kept by the stop that cancelled it: sent as kept, the file not read.
      // Damaged (said by the spool), or not readable now, it comes from the
      // file, if that still holds it.
      const taken = spooled.has(intent.key) ? await this.takeKept(intent.key) : undefined;
      if (taken?.kind === "kept") {
        const kept = taken.object;
        const release = await this.ctx.slots.acquire();
        this.ctx.logger.info({ path: this.file.path, key: intent.key }, "replaying an upload interrupted by a stop, from the spool");
        this.track(this.uploadKept(intent, kept, release));
        continue;
      }
      if (taken === undefined && spooled.has(intent.key)) this.spooledButReadFromFile.add(intent.key);
      if (!headChecked) {
        await this.assertSameHead();
        headChecked = true;
      }
      const { size } = await this.file.handle.stat();
      if (size < intent.end) {
        throw new IntentLostError(`${this.file.path}: bytes ${intent.start}-${intent.end} of a recorded upload are gone (file shrank to ${size})`);
      }
      const release = await this.ctx.slots.acquire();
      if (afterFailure) this.ctx.logger.debug({ path: this.file.path, key: intent.key }, "sending again an upload that failed");
      else this.ctx.logger.info({ path: this.file.path, key: intent.key }, "replaying an upload recorded earlier, under its key (after a restart, or from the copy of a file copied and truncated)");
      let source: UploadSource;
      try {
        // A streamed intent is one long line when this run cut it, but a replayed
        // one may come from a run with a larger --batch-max-bytes, or one that
        // did not compress, whose range a compression chunk cannot hold whole:
        // count its lines.
        source = this.streams(intent) || !this.fitsBuffer(intent)
          ? { streamedLines: await countRangeLines(this.file.handle, intent.start, intent.end) }
          : { buffer: await this.ctx.buffers.take() };
      } catch (error) {
        release();
        throw error;
      }
      this.track(this.upload(intent, source, release));
    }
  }

  /**
   * Hands every complete line before `limit` to uploads. With `onlyFull`, only
   * batches of `batchMaxBytes` go: the daemon leaves a smaller remainder to
   * grow until the flush interval says otherwise. Once `stop` is aborted, no
   * further batch is cut (`--once` on SIGTERM: the uploads under way finish).
   *
   * `maxBatches` bounds the batches one call cuts (the daemon's quantum: a
   * file catching up on a backlog must not hold the pass that polls the other
   * files until its whole backlog has taken upload slots). True when the call
   * stopped there with lines left to cut: the caller comes back for them.
   * `--once` gives no bound, and ships a file whole in one call.
   */
  async ship(limit: number, onlyFull = false, stop?: AbortSignal, maxBatches = Number.POSITIVE_INFINITY): Promise<boolean> {
    /** The last batch cut took every complete line before `limit`: what follows it is a partial line at most. */
    let reachedLimit = false;
    for (let cut = 0; !this.failure && !isAborted(stop); cut += 1) {
      if (onlyFull && limit - this.readOffset < this.ctx.batchMaxBytes) return false;
      // A full batch is left (onlyFull, just checked), or lines past the last
      // batch, which its size cut short. Not a partial line: a file written
      // line by line would be polled again and again, a PUT each time.
      if (cut >= maxBatches) return onlyFull || !reachedLimit;
      // Take the upload slot before reading: it bounds the batches in memory.
      const release = await this.ctx.slots.acquire();
      // The wait for a slot can span the stop.
      if (isAborted(stop)) {
        release();
        return false;
      }
      let buffer: Buffer;
      try {
        buffer = await this.ctx.buffers.take();
      } catch (error) {
        release();
        throw error;
      }
      const start = this.readOffset;
      reachedLimit = start + this.ctx.batchMaxBytes >= limit;
      const scanned = await this.scannedFrom(start);
      let end;
      try {
        end = await findBatchEnd(this.file.handle, start, limit, this.ctx.batchMaxBytes, buffer, scanned);
      } catch (error) {
        this.ctx.buffers.give(buffer);
        release();
        throw error;
      }
      if (end === undefined) {
        this.ctx.buffers.give(buffer);
        try {
          this.partialLine = { start, scannedTo: limit, head: await this.spanPrint(start, limit) };
        } finally {
          release();
        }
        return false;
      }
      let tail: Fingerprint;
      try {
        // Read before the head check: that the head is still the one shipped
        // then says the tail was read from the same content.
        tail = await this.tailBefore(end);
        await this.checkHead(end);
      } catch (error) {
        this.ctx.buffers.give(buffer);
        release();
        throw error;
      }
      const intent: UploadIntent = { start, end, key: this.ctx.keyFor(this.checkpoint, start, end, new Date()), compression: this.ctx.compression };
      // Both in the same turn: a save never holds an intent without the tail
      // that ends where it does, whose copy findCopy would then refuse.
      this.checkpoint.pending.push(intent);
      this.checkpoint.tail = tail;
      this.readOffset = end;
      // A range longer than a batch is one long line (findBatchEnd cuts no
      // other): it streams from the file and needs no pooled buffer.
      const streams = this.streams(intent);
      if (streams) this.ctx.buffers.give(buffer);
      this.track(this.upload(intent, streams ? { streamedLines: 1 } : { buffer }, release));
    }
    return false;
  }

  /** Resolves when every upload started so far has finished, successfully or not. */
  async settle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  private track(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => this.fail(error));
    this.tasks.add(tracked);
    void tracked.finally(() => this.tasks.delete(tracked));
  }

  /** The first failure stays: the shipper reads nothing more, and a new one replays what it recorded. */
  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.failedCancelled = this.ctx.sink.cancelled === true;
  }

  /**
   * The bytes a batch just cut ends with, up to FINGERPRINT_BYTES: what
   * tells the copy of a copytruncate from other files with the same head
   * (FileCheckpoint.tail). Read again (a KiB, just read by findBatchEnd, so
   * from the page cache): findBatchEnd keeps no batch's bytes, only where
   * its last line ends.
   */
  private async tailBefore(end: number): Promise<Fingerprint> {
    const tail = await fingerprintBefore(this.file.handle, end);
    if (tail.length < Math.min(end, FINGERPRINT_BYTES)) throw new TruncatedError(`${this.file.path} shrank below a batch just cut: truncated`);
    return tail;
  }

  /**
   * After a cut, so that the cut was made in the content fingerprinted. With
   * nothing fingerprinted yet (the file's first batch), fingerprint its head
   * instead, before the intent is saved: otherwise a file copied and
   * truncated during that upload, and written again past it, would be taken
   * at the acknowledgement for the same file grown. Its fingerprint would be
   * the new content's, its new head never shipped, its copy never found.
   */
  private async checkHead(end: number): Promise<void> {
    if (this.checkpoint.fingerprintLength > 0) return this.assertSameHead();
    const print = await this.spanPrint(0, end);
    if (print.length < Math.min(end, FINGERPRINT_BYTES)) throw new TruncatedError(`${this.file.path} shrank below a batch just cut: truncated`);
    this.checkpoint.fingerprint = print.hash;
    this.checkpoint.fingerprintLength = print.length;
  }

  /**
   * Throws TruncatedError when the file no longer starts with the bytes the
   * checkpoint fingerprinted. A size check alone misses a file truncated and
   * written again past the read offset before the next poll, which an S3
   * outage can make minutes long (the poll waits for an upload slot).
   * No batch cut yet means nothing fingerprinted: no check.
   */
  private async assertSameHead(): Promise<void> {
    const { fingerprint, fingerprintLength } = this.checkpoint;
    if (fingerprintLength === 0) return;
    const head = await this.spanPrint(0, fingerprintLength);
    if (head.length < fingerprintLength || head.hash !== fingerprint) {
      throw new TruncatedError(`${this.file.path} no longer starts with the lines already shipped: truncated or replaced`);
    }
  }

  /**
   * A streamed range's chunks, each checked after it is read: the stream
   * reads on while its parts upload, which an S3 outage can stretch past a
   * copytruncate. The object is then abandoned and its intent replayed from
   * the copy, instead of carrying the new content's bytes under the old key.
   */
  private async *checkedChunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
    for await (const chunk of chunks) {
      await this.assertSameHead();
      yield chunk;
    }
  }

  /**
   * Where the search for the next newline from `start` may begin: past the
   * bytes an earlier search found none in, if they are still the same bytes.
   * A file truncated and written again past them before anything was cut
   * (so no head to check) would otherwise have its new lines skipped, and
   * the range sent as one long line.
   */
  private async scannedFrom(start: number): Promise<number> {
    const partial = this.partialLine;
    if (partial?.start !== start || partial.scannedTo === start) return start;
    const now = await this.spanPrint(start, partial.scannedTo);
    return now.hash === partial.head.hash && now.length === partial.head.length ? partial.scannedTo : start;
  }

  /** The fingerprint of the bytes [start, end), at most their first FINGERPRINT_BYTES. */
  private async spanPrint(start: number, end: number): Promise<Fingerprint> {
    return fingerprintOf(await readAt(this.file.handle, start, Buffer.alloc(Math.min(end - start, FINGERPRINT_BYTES))));
  }

  /** Whether an intent's bytes are streamed rather than held: more than a batch, so one long line. */
  private streams(intent: UploadIntent): boolean {
    return intent.end - intent.start > this.ctx.batchMaxBytes;
  }

  /** Uncompressed, a range is read whole into a pooled buffer; compressed, a chunk at a time. */
  private fitsBuffer(intent: UploadIntent): boolean {
    return this.compressionOf(intent) !== "none" || intent.end - intent.start <= this.ctx.buffers.size;
  }

  /** As recorded; for an intent of an earlier release, as its key says (objectKey ends it in .log or .log.gz). */
  private compressionOf(intent: UploadIntent): Compression {
    if (intent.compression !== undefined) return intent.compression;
    if (intent.key.endsWith(".log.gz")) return "gzip";
    return intent.key.endsWith(".log") ? "none" : this.ctx.compression;
  }

  /**
   * Uploads the intent's lines, read through the source's pooled buffer
   * (given back as soon as nothing reads it: once compressed, or after the
   * PUT that sends it raw, since the SDK may send a body again on a retry),
   * or streamed from the file into a multipart upload.
   */
  private async upload(intent: UploadIntent, source: UploadSource, release: () => void): Promise<void> {
    const { ctx } = this;
    const { handle } = this.file;
    const compression = this.compressionOf(intent);
    const object = (lines: number) => ({
      key: intent.key,
      contentType: compression === "gzip" ? "application/gzip" : "text/plain; charset=utf-8",
      metadata: { "byte-range": `${intent.start}-${intent.end}`, lines: String(lines) },
    });
    let lent = "buffer" in source ? source.buffer : undefined;
    const giveBack = (): void => {
      if (lent !== undefined) ctx.buffers.give(lent);
      lent = undefined;
    };
    let lines: number;
    let bytesOut: number;
    try {
      // The intent must be on disk before the object can exist: a crash after
      // the PUT then replays the same key instead of writing a second object.
      // Compression need not wait for that fsync, only the PUT does.
      if ("streamedLines" in source) {
        await ctx.saver.persist();
        lines = source.streamedLines;
        bytesOut = await ctx.sink.putStream({
          ...object(lines),
          body: () => compressStream(this.checkedChunks(readRangeChunks(handle, intent.start, intent.end)), compression, ctx.compressionLevel),
        });
      } else {
        // Both settle before anything is thrown: a failed fsync must not give
        // back the buffer that encodeRange is still reading into.
        const [encoding, persisting] = await Promise.allSettled([
          // Truncated between the cut and the read: the body may be new content.
          // The intent stays pending and is sent again, from the copy if one is found.
          encodeRange(
            handle,
            intent.start,
            intent.end,
            { compression, level: ctx.compressionLevel, expectedRatio: this.gzipRatio },
            source.buffer,
            () => this.assertSameHead(),
          ),
          ctx.saver.persist(),
        ]);
        if (encoding.status === "rejected") throw encoding.reason;
        if (persisting.status === "rejected") throw persisting.reason;
        const { body } = encoding.value;
        if (compression !== "none") {
          giveBack();
          this.gzipRatio = body.length / (intent.end - intent.start);
        }
        lines = encoding.value.lines;
        const encoded = { ...object(lines), body };
        try {
          await ctx.sink.put(encoded);
        } catch (error) {
          // Cancelled by the stop: the file may be truncated or deleted before
          // the next start, which then sends the batch from the spool.
          if (ctx.sink.cancelled) await ctx.spool?.save(encoded);
          throw error;
        }
        bytesOut = body.length;
      }
      ctx.stats.lines += lines;
      ctx.stats.bytesIn += intent.end - intent.start;
      ctx.stats.bytesOut += bytesOut;
      ctx.stats.objects += 1;
    } finally {
      giveBack();
      release();
    }
    await this.acknowledge(intent);
    if (this.spooledButReadFromFile.delete(intent.key)) await this.forgetKept(intent.key);
  }

  private async takeKept(key: string): Promise<SpoolTake | undefined> {
    try {
      return await this.ctx.spool?.take(key);
    } catch (error) {
      this.ctx.logger.warn({ path: this.file.path, key, err: errorMessage(error) }, "cannot read a spooled batch now; replaying it from the file");
      return undefined;
    }
  }

  /** Sends a batch the spool kept, acknowledges it, then lets the spool forget it. */
  private async uploadKept(intent: UploadIntent, kept: S3Object, release: () => void): Promise<void> {
    const { ctx } = this;
    try {
      await ctx.sink.put(kept);
      ctx.stats.lines += Number(kept.metadata["lines"] ?? 0);
      ctx.stats.bytesIn += intent.end - intent.start;
      ctx.stats.bytesOut += kept.body.length;
      ctx.stats.objects += 1;
    } finally {
      release();
    }
    try {
      await this.acknowledge(intent);
    } finally {
      // S3 has it: the entry goes even when the acknowledgement cannot be
      // saved. On a full disk, that is what frees the space the saves need.
      // The intent stays saved until a save succeeds: after a kill -9 before
      // then, it is sent again from the file under the same key, or, the file
      // truncated or deleted meanwhile, reported as possibly missing although
      // S3 has it (docs/failure-modes.md).
      await this.forgetKept(intent.key);
    }
  }

  /** Left behind, an entry would be sent again by a later pass over the spool: the same object under the same key. */
  private async forgetKept(key: string): Promise<void> {
    await this.ctx.spool?.remove(key).catch((error: unknown) => {
      this.ctx.logger.warn({ key, err: errorMessage(error) }, "cannot remove a sent batch from the spool");
    });
  }

  private async acknowledge(intent: UploadIntent): Promise<void> {
    const { checkpoint } = this;
    this.acknowledged.add(intent);
    let advanced = false;
    for (let head = checkpoint.pending[0]; head !== undefined && this.acknowledged.has(head); head = checkpoint.pending[0]) {
      checkpoint.offset = head.end;
      checkpoint.pending.shift();
      this.acknowledged.delete(head);
      advanced = true;
    }
    if (!advanced) return;
    checkpoint.lastUploadAt = new Date().toISOString();
    await refreshFingerprint(this.file, checkpoint, FINGERPRINT_BYTES);
    await this.ctx.saver.persist();
  }
}
