/**
 * Bytes of a file not yet shipped, from its size and its checkpoint's offset.
 * A file shorter than its checkpoint was truncated (copytruncate, `> file`)
 * and written again: all of it is new, none of it shipped.
 */
export function bytesBehind(size: number, offset: number): number {
  return size < offset ? size : size - offset;
}
