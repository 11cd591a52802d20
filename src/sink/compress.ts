import { promisify } from "node:util";
import { gzip } from "node:zlib";

const gzipAsync = promisify(gzip);

export type Compression = "gzip" | "none";

/**
 * Compresses on libuv's thread pool, off the main thread. A 1 MiB chunk size:
 * with zlib's default 16 KiB every chunk is a round trip to the main thread,
 * which costs about a quarter of the throughput. Node's gzip header carries no
 * timestamp, so the same bytes always compress to the same object, and a
 * replayed upload overwrites its key with identical content.
 */
export async function compress(data: Buffer, compression: Compression, level: number): Promise<Buffer> {
  if (compression === "none") return data;
  return gzipAsync(data, { level, chunkSize: 1024 * 1024 });
}
