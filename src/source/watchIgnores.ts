import type { Stats } from "node:fs";
import { directoryMatcher, globBase, globMatcher } from "./expandGlobs.js";

/**
 * chokidar's `ignored` for the globs: everything but their base directories,
 * the directories that can lead to a match, and the matching files. chokidar
 * asks first without stats (true there drops the path for good, so only what
 * can be neither is dropped) and again with them. Its stats are lstat's: a
 * symlink may lead to a directory (/var/log/app -> /data/app/logs) and is
 * judged as either.
 */
export function watchIgnores(patterns: readonly string[]): (path: string, stats?: Stats) => boolean {
  const bases = new Set(patterns.map(globBase));
  const isMatch = globMatcher(patterns);
  const mayLeadToMatch = directoryMatcher(patterns);
  return (path, stats) => {
    if (bases.has(path)) return false;
    if (stats === undefined || stats.isSymbolicLink()) return !mayLeadToMatch(path) && !isMatch(path);
    return stats.isDirectory() ? !mayLeadToMatch(path) : !isMatch(path);
  };
}
