import { compress } from "../sink/compress.js";
import { compressStream } from "../sink/compressStream.js";
import type { FileCheckpoint, UploadIntent } from "../source/FileCheckpoint.js";
import { FINGERPRINT_BYTES } from "../source/fingerprint.js";
import type { OpenFile } from "../source/openFile.js";
import { readBatch, readRange } from "../batch/readBatch.js";
import { readRangeChunks } from "../batch/readRangeChunks.js";
import { refreshFingerprint } from "../source/resolveCheckpoint.js";
import type { ShipContext } from "./ShipContext.js";

/** Raised when the bytes of a recorded upload intent can no longer be read. */
export class IntentLostError extends Error {
  override readonly name = "IntentLostError";
}

/** Bytes to upload, a view of a pooled buffer, and how to give that buffer back. */
interface HeldBytes {
  data: Buffer;
  giveBack: () => void;
}

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
  private readonly tasks = new Set<Promise<void>>();
  private failure: Error | undefined;
  private readOffset: number;
  /** A line still without its newline: no "\n" in [start, scannedTo), so a growing long line is not scanned again. */
  private partialLine: { start: number; scannedTo: number } | undefined;

  constructor(
    private readonly ctx: ShipContext,
    readonly file: OpenFile,
    readonly checkpoint: FileCheckpoint,
  ) {
    this.readOffset = checkpoint.pending.at(-1)?.end ?? checkpoint.offset;
  }

  /** The first byte not yet handed to an upload. */
  get nextOffset(): number {
    return this.readOffset;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  /** Re-sends the intents a previous run recorded but did not see acknowledged, under their keys. */
  async replayPending(): Promise<void> {
    for (const intent of [...this.checkpoint.pending]) {
      if (this.failure) return;
      const release = await this.ctx.slots.acquire();
      const buffer = await this.ctx.buffers.take();
      let data: Buffer | undefined;
      try {
        data = await this.readForReplay(intent, buffer);
      } catch (error) {
        this.ctx.buffers.give(buffer);
        release();
        throw error;
      }
      if (data === undefined) this.ctx.buffers.give(buffer);
      this.ctx.logger.info({ path: this.file.path, key: intent.key }, "replaying an upload interrupted by a restart");
      this.track(this.upload(intent, data && this.held(data, buffer), release));
    }
  }

  /**
   * Hands every complete line before `limit` to uploads. With `onlyFull`, only
   * batches of `batchMaxBytes` go: the daemon leaves a smaller remainder to
   * grow until the flush interval says otherwise.
   */
  async ship(limit: number, onlyFull = false): Promise<void> {
    while (!this.failure) {
      if (onlyFull && limit - this.readOffset < this.ctx.batchMaxBytes) return;
      // Take the upload slot before reading: it bounds the batches in memory.
      const release = await this.ctx.slots.acquire();
      const buffer = await this.ctx.buffers.take();
      let batch;
      const scanned = this.partialLine?.start === this.readOffset ? this.partialLine.scannedTo : this.readOffset;
      try {
        batch = await readBatch(this.file.handle, this.readOffset, limit, buffer, scanned);
      } catch (error) {
        this.ctx.buffers.give(buffer);
        release();
        throw error;
      }
      if (batch?.data === undefined) this.ctx.buffers.give(buffer);
      if (batch === undefined) {
        this.partialLine = { start: this.readOffset, scannedTo: limit };
        release();
        return;
      }
      const intent: UploadIntent = {
        start: batch.start,
        end: batch.end,
        key: this.ctx.keyFor(this.checkpoint, batch.start, batch.end, new Date()),
        lines: batch.lines,
      };
      this.checkpoint.pending.push(intent);
      this.readOffset = batch.end;
      this.track(this.upload(intent, batch.data && this.held(batch.data, buffer), release));
    }
  }

  /** Resolves when every upload started so far has finished, successfully or not. */
  async settle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  private track(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
    });
    this.tasks.add(tracked);
    void tracked.finally(() => this.tasks.delete(tracked));
  }

  /** An intent's bytes, or for one that streams undefined once the file is seen to still hold them. */
  private async readForReplay(intent: UploadIntent, buffer: Buffer): Promise<Buffer | undefined> {
    const wanted = intent.end - intent.start;
    const data = this.streams(intent) ? undefined : await readRange(this.file.handle, intent.start, intent.end, buffer);
    const found = data?.length ?? Math.min(wanted, (await this.file.handle.stat()).size - intent.start);
    if (found !== wanted) {
      throw new IntentLostError(
        `${this.file.path}: bytes ${intent.start}-${intent.end} of a recorded upload are gone (file shrank to ${this.file.size})`,
      );
    }
    return data;
  }

  private held(data: Buffer, buffer: Buffer): HeldBytes {
    return { data, giveBack: () => this.ctx.buffers.give(buffer) };
  }

  /** Whether an intent's bytes are streamed rather than held: more than a batch, so one long line. */
  private streams(intent: UploadIntent): boolean {
    return intent.end - intent.start > this.ctx.batchMaxBytes;
  }

  /**
   * Uploads the bytes `held`, or when it is undefined streams the intent's
   * range from the file. The buffer that holds the bytes goes back to the pool
   * as soon as nothing reads it: after gzip, or after the PUT that sends it raw
   * (the SDK may send a body again on a retry).
   */
  private async upload(intent: UploadIntent, held: HeldBytes | undefined, release: () => void): Promise<void> {
    const { ctx } = this;
    const object = {
      key: intent.key,
      contentType: ctx.compression === "gzip" ? "application/gzip" : "text/plain; charset=utf-8",
      metadata: { "byte-range": `${intent.start}-${intent.end}`, lines: String(intent.lines) },
    };
    let giveBack = held?.giveBack;
    const done = (): void => {
      giveBack?.();
      giveBack = undefined;
    };
    let bytesOut: number;
    try {
      // The intent must be on disk before the object can exist: a crash after
      // the PUT then replays the same key instead of writing a second object.
      // Compression need not wait for that fsync, only the PUT does.
      if (held === undefined) {
        await ctx.saver.persist();
        const { handle } = this.file;
        bytesOut = await ctx.sink.putStream({
          ...object,
          body: () => compressStream(readRangeChunks(handle, intent.start, intent.end), ctx.compression, ctx.compressionLevel),
        });
      } else {
        const [body] = await Promise.all([compress(held.data, ctx.compression, ctx.compressionLevel), ctx.saver.persist()]);
        if (body !== held.data) done();
        await ctx.sink.put({ ...object, body });
        bytesOut = body.length;
      }
      ctx.stats.lines += intent.lines;
      ctx.stats.bytesIn += intent.end - intent.start;
      ctx.stats.bytesOut += bytesOut;
      ctx.stats.objects += 1;
    } finally {
      done();
      release();
    }
    await this.acknowledge(intent);
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
