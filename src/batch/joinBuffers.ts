/**
 * The pieces as one Buffer: a view when they lie back to back in one
 * ArrayBuffer, as zlib's output does while its output buffer lasts, else a
 * copy. The view saves both the copy and a second body-sized allocation,
 * which, living through an upload, V8 would free only at a full collection.
 */
export function joinBuffers(pieces: readonly Buffer[]): Buffer {
  const first = pieces[0];
  if (first === undefined) return Buffer.alloc(0);
  let end = first.byteOffset;
  for (const piece of pieces) {
    if (piece.buffer !== first.buffer || piece.byteOffset !== end) return Buffer.concat(pieces);
    end += piece.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}
