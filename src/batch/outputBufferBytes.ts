/** Compressed ÷ raw size assumed for a file's first batch: log text gzips 5-12 times smaller. */
export const INITIAL_GZIP_RATIO = 0.25;

/** The least output buffer given to zlib: a small flush gets this, not a buffer sized to its few lines. */
export const MIN_OUTPUT_BUFFER_BYTES = 64 * 1024;

/** The most: a batch of gigabytes (--batch-max-bytes allows 5 GiB) gets its body in several buffers, joined. */
export const MAX_OUTPUT_BUFFER_BYTES = 64 * 1024 * 1024;

/**
 * The size of zlib's output buffer for a range of `rangeBytes` expected to
 * compress by `ratio` (the last batch of the same file): an eighth above the
 * expected body, so that the whole body usually lands in the one buffer and
 * becomes the object without a copy (`joinBuffers`). A larger buffer is not
 * free: V8 counts each one whole towards its next full collection, and a
 * batch's buffer lives through its upload.
 */
export function outputBufferBytes(rangeBytes: number, ratio: number): number {
  // The 1 KiB covers gzip's header and trailer, which matter for a few lines.
  // A last batch of a few bytes "compresses" to many times its size (a lone
  // "\n" to 21 bytes): deflate never makes a range much larger, so neither
  // may the buffer, and past MAX_OUTPUT_BUFFER_BYTES a body spans buffers.
  const expected = Math.ceil(rangeBytes * Math.min(ratio, 1) * 1.125) + 1024;
  return Math.min(MAX_OUTPUT_BUFFER_BYTES, Math.max(MIN_OUTPUT_BUFFER_BYTES, expected));
}
