/** Bytes of a file range could not be read: the file no longer reaches that far (truncated or replaced). */
export class RangeGoneError extends Error {
  override readonly name = "RangeGoneError";
}
