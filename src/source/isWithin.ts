/**
 * Whether `path` is `dir` or below it. Both must be absolute and normalized
 * (as resolve() and realpath() give them: no trailing "/", no "." or ".."),
 * since the test is on the spelling: "/var/log2" is not within "/var/log".
 */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
}
