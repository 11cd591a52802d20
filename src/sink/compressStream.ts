import { createGzip } from "node:zlib";
import { gzipOptions, type Compression } from "./compress.js";

/**
 * `compress` for a range too large to hold: chunks in, compressed chunks out,
 * the same zlib settings, so a range yields the same object bytes whichever
 * way it is compressed. The next input chunk is asked for only once zlib has
 * consumed the last one, so the source may reuse its buffer, and at most a
 * chunk's worth of output waits. Ending the iteration early (a failed
 * upload) ends the source's too. The chunks out are views of zlib's output
 * buffers, `outputBufferBytes` each (see `gzipOptions`).
 */
export async function* compressStream(
  source: AsyncIterable<Buffer>,
  compression: Compression,
  level: number,
  outputBufferBytes?: number,
): AsyncGenerator<Buffer, void, undefined> {
  if (compression === "none") {
    yield* source;
    return;
  }
  const gzip = createGzip(gzipOptions(level, outputBufferBytes));
  const output: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => output.push(chunk));
  // Errors also reach the write and end callbacks below; this keeps them from being unhandled.
  gzip.on("error", () => undefined);
  try {
    for await (const chunk of source) {
      await new Promise<void>((resolve, reject) => gzip.write(chunk, (error) => (error ? reject(error) : resolve())));
      yield* output.splice(0);
    }
    await new Promise<void>((resolve, reject) => {
      gzip.once("end", resolve).once("error", reject);
      gzip.end();
    });
    yield* output.splice(0);
  } finally {
    gzip.destroy();
  }
}
