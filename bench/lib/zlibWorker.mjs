// @ts-check
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { gzipSync } from "node:zlib";

/**
 * One core's worth of the limit: takes the next piece off the shared counter,
 * reads it (from the page cache) and gzips it as the product does, at the
 * product's level, with a 1 MiB chunk size and the given memLevel.
 * @typedef {{ path: string, start: number, end: number }} Piece
 * @typedef {{ pieces: Piece[], counter: SharedArrayBuffer, level: number, memLevel: number }} ZlibWorkerData
 */
const { pieces, counter, level, memLevel } = /** @type {ZlibWorkerData} */ (workerData);
const next = new Int32Array(counter);
const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort);

port.once("message", () => {
  /** @type {Map<string, number>} */
  const fds = new Map();
  let buffer = Buffer.allocUnsafe(0);
  let bytesIn = 0;
  let bytesOut = 0;
  for (let index = Atomics.add(next, 0, 1); index < pieces.length; index = Atomics.add(next, 0, 1)) {
    const piece = /** @type {Piece} */ (pieces[index]);
    const length = piece.end - piece.start;
    if (buffer.length < length) buffer = Buffer.allocUnsafe(length);
    let fd = fds.get(piece.path);
    if (fd === undefined) fds.set(piece.path, (fd = openSync(piece.path, "r")));
    let filled = 0;
    while (filled < length) filled += readSync(fd, buffer, filled, length - filled, piece.start + filled);
    bytesOut += gzipSync(buffer.subarray(0, length), { level, memLevel, chunkSize: 1024 * 1024 }).length;
    bytesIn += length;
  }
  for (const fd of fds.values()) closeSync(fd);
  port.postMessage({ bytesIn, bytesOut });
});
port.postMessage("ready");
