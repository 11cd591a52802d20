/** One part of a stream cut for a multipart upload. */
export interface StreamPart {
  data: Buffer;
  /** No bytes follow: an only part can go up as a plain PutObject. */
  last: boolean;
}

/**
 * Re-cuts a stream of chunks into parts of exactly `partBytes` (the last one
 * shorter, possibly empty when the stream is). Chunks are copied as they come
 * (so the source may reuse its buffers) into one part buffer, used again for
 * every part: a part is valid only until the next one is asked for. A full
 * part is handed out once the next byte shows that it is not the last.
 */
export async function* cutParts(source: AsyncIterable<Buffer>, partBytes: number): AsyncGenerator<StreamPart, void, undefined> {
  const part = Buffer.allocUnsafe(partBytes);
  let filled = 0;
  for await (const chunk of source) {
    for (let offset = 0; offset < chunk.length; ) {
      if (filled === partBytes) {
        yield { data: part, last: false };
        filled = 0;
      }
      const copied = chunk.copy(part, filled, offset);
      filled += copied;
      offset += copied;
    }
  }
  yield { data: part.subarray(0, filled), last: true };
}
