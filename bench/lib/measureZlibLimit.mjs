// @ts-check
import { closeSync, openSync, readSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { startBackgroundMeter } from "./backgroundMeter.mjs";

/** @typedef {import("./zlibWorker.mjs").Piece} Piece */

/**
 * @typedef {object} ZlibLimit
 * @property {number} threads
 * @property {number} memLevel
 * @property {number} seconds
 * @property {number} mibPerSecond input MiB per wall second
 * @property {number} bytesIn
 * @property {number} bytesOut
 * @property {import("./backgroundMeter.mjs").Background} background
 */

/** How far back from a batch's end a newline is searched for; lines are far shorter. */
const TAIL_BYTES = 64 * 1024;

/**
 * The same cut as the product's readBatch: at most `batchBytes`, ending after
 * the last newline inside the window.
 * @param {readonly { path: string, bytes: number }[]} files
 * @param {number} batchBytes
 * @returns {Piece[]}
 */
export function batchPieces(files, batchBytes) {
  /** @type {Piece[]} */
  const pieces = [];
  const tail = Buffer.allocUnsafe(TAIL_BYTES);
  for (const file of files) {
    const fd = openSync(file.path, "r");
    try {
      for (let start = 0; start < file.bytes; ) {
        let end = Math.min(start + batchBytes, file.bytes);
        if (end < file.bytes) {
          const from = Math.max(start, end - TAIL_BYTES);
          const read = readSync(fd, tail, 0, end - from, from);
          const newline = tail.subarray(0, read).lastIndexOf(0x0a);
          if (newline === -1) throw new Error(`no newline in the last ${TAIL_BYTES} bytes before ${end} of ${file.path}`);
          end = from + newline + 1;
        }
        pieces.push({ path: file.path, start, end });
        start = end;
      }
    } finally {
      closeSync(fd);
    }
  }
  return pieces;
}

/**
 * What Node's zlib can do with these pieces on `threads` cores: each worker
 * thread is one core compressing back to back, pieces handed out on demand.
 * Workers are started before the clock starts. memLevel 8 is zlib's default
 * (the limit); the product compresses with memLevel 9.
 * @param {readonly Piece[]} pieces
 * @param {number} threads
 * @param {number} level
 * @param {number} [memLevel]
 * @returns {Promise<ZlibLimit>}
 */
export async function measureZlibLimit(pieces, threads, level, memLevel = 8) {
  const counter = new SharedArrayBuffer(4);
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL("./zlibWorker.mjs", import.meta.url), { workerData: { pieces, counter, level, memLevel } }),
  );
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once("message", resolve))));
  const started = performance.now();
  const meter = startBackgroundMeter();
  const results = await Promise.all(
    workers.map(
      (worker) =>
        new Promise((resolve, reject) => {
          worker.once("message", resolve);
          worker.once("error", reject);
          worker.postMessage("go");
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const background = meter(0);
  await Promise.all(workers.map((worker) => worker.terminate()));
  const totals = /** @type {{ bytesIn: number, bytesOut: number }[]} */ (results);
  const bytesIn = totals.reduce((sum, r) => sum + r.bytesIn, 0);
  const bytesOut = totals.reduce((sum, r) => sum + r.bytesOut, 0);
  return { threads, memLevel, seconds, mibPerSecond: bytesIn / 1048576 / seconds, bytesIn, bytesOut, background };
}
