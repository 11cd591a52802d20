/**
 * What a rotation appends to a file's name: `.1`, `-20261207`,
 * `-2026-12-07-1730`. Not `.lock` or `.bak`, and not a compressed copy.
 */
const ROTATION_SUFFIX = /^[.-][0-9][0-9A-Za-z._:-]*$/;
const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|zip|Z)$/;

/** Whether `name` is `base` with a rotation's suffix: a plain (uncompressed) rotated copy or rename of it. */
export function isRotatedName(name: string, base: string): boolean {
  return name.startsWith(base) && !COMPRESSED.test(name) && ROTATION_SUFFIX.test(name.slice(base.length));
}
