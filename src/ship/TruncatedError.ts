/**
 * The file no longer starts with the bytes its checkpoint fingerprinted:
 * truncated, perhaps already written again past the read offset, or replaced
 * in place. Raised instead of reading on: the bytes at the old offsets are
 * new content, and shipping them under the old source would lose the new
 * file's head and cut a line in two.
 */
export class TruncatedError extends Error {
  override readonly name: string = "TruncatedError";
}
