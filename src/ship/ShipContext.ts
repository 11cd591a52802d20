import type { Logger } from "pino";
import type { BatchBuffers } from "../batch/BatchBuffers.js";
import type { Compression } from "../sink/compress.js";
import type { S3Sink } from "../sink/S3Sink.js";
import type { Spool } from "../sink/Spool.js";
import type { FileCheckpoint } from "../source/FileCheckpoint.js";
import type { ShipState } from "../source/StateStore.js";
import type { Semaphore } from "./Semaphore.js";
import type { StateSaver } from "./StateSaver.js";

/** Running totals, reported by `--once` and (later) by metrics. */
export interface ShipStats {
  lines: number;
  bytesIn: number;
  bytesOut: number;
  objects: number;
}

export function emptyStats(): ShipStats {
  return { lines: 0, bytesIn: 0, bytesOut: 0, objects: 0 };
}

/** What every file's shipper shares: state, the sink, the bound on uploads in flight. */
export interface ShipContext {
  state: ShipState;
  saver: StateSaver;
  sink: S3Sink;
  slots: Semaphore;
  /** The buffers batches are read through (`encodeBufferBytes`): bound the raw bytes held between reading and compressing. */
  buffers: BatchBuffers;
  logger: Logger;
  batchMaxBytes: number;
  compression: Compression;
  compressionLevel: number;
  /** Where the batches a stop cancelled are kept, for the next start (absent: nowhere, as in unit tests). */
  spool?: Spool;
  /** The object key of a byte range, decided once and stored in the upload intent. */
  keyFor(checkpoint: FileCheckpoint, start: number, end: number, createdAt: Date): string;
  stats: ShipStats;
}
