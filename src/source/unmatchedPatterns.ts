import { globMatcher } from "./expandGlobs.js";

/**
 * The patterns that none of `paths` matches: a `--watch` for a file the
 * distribution does not write (`/var/log/syslog` on a journal-only host) would
 * otherwise ship nothing without a word.
 */
export function unmatchedPatterns(patterns: readonly string[], paths: readonly string[]): string[] {
  return patterns.filter((pattern) => {
    const isMatch = globMatcher([pattern]);
    return !paths.some((path) => isMatch(path));
  });
}
