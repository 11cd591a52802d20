import { realpathSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { directoryMatcher, globBase, globMatcher } from "./expandGlobs.js";
import { isWithin } from "./isWithin.js";
import { judgeLinkSync } from "./linkTrust.js";

/** Past this many remembered paths the memo starts over: dated directories come and go for as long as the daemon runs. */
const MEMO_LIMIT = 10_000;

/**
 * chokidar's `ignored` for the globs: everything but their base directories,
 * the directories that can lead to a match, and the matching files. chokidar
 * asks first without stats (true there drops the path for good, so only what
 * can be neither is dropped) and again with them. Its stats are lstat's: a
 * symlink may lead to a directory (/var/log/app -> /data/app/logs) and is
 * judged as either, and only followed if the symlink trust rule allows it
 * (linkTrust): a refused link is ignored, so that the watcher neither walks
 * into a planted link to / nor reports a planted link to another user's file.
 * (The scans say it, once per link; openFile refuses it too.) Nor does it
 * enter a link that leads back onto its own directory or above (leadsBack).
 *
 * @param excludedDirs real paths of directories never watched (the state dir,
 *   expandGlobs): ignored as directories, so that no event of a state save
 *   ever reaches the daemon. chokidar asks again at every read of a
 *   directory, that is at every write in it: each directory or symlink path
 *   is resolved once and the answer remembered.
 */
/**
 * A link to a directory the link is in, or above it (to "..", or to "/"): the
 * walks (expandGlobs) never enter one, and neither does the watcher, which
 * would otherwise watch the whole host (a root-owned link to /, which the
 * symlink trust rule lets through, is an operator's mistake, not a loop the
 * depth limit should have to stop).
 */
function leadsBack(path: string): boolean {
  try {
    return isWithin(realpathSync(dirname(path)), realpathSync(path));
  } catch {
    return false;
  }
}

export function watchIgnores(patterns: readonly string[], excludedDirs: readonly string[] = []): (path: string, stats?: Stats) => boolean {
  const bases = new Set(patterns.map(globBase));
  const isMatch = globMatcher(patterns);
  const mayLeadToMatch = directoryMatcher(patterns);
  const memo = new Map<string, boolean>();
  const isExcluded = (path: string): boolean => {
    const known = memo.get(path);
    if (known !== undefined) return known;
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      // Gone already (or a dangling link): nothing to watch there; asked again if it comes back.
      return false;
    }
    const excluded = excludedDirs.some((dir) => isWithin(real, dir));
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(path, excluded);
    return excluded;
  };
  return (path, stats) => {
    let ignored: boolean;
    if (bases.has(path)) ignored = false;
    else if (stats === undefined || stats.isSymbolicLink()) ignored = !mayLeadToMatch(path) && !isMatch(path);
    else ignored = stats.isDirectory() ? !mayLeadToMatch(path) : !isMatch(path);
    if (!ignored && stats?.isSymbolicLink() === true && !bases.has(path) && (judgeLinkSync(path, stats) !== undefined || leadsBack(path))) return true;
    if (ignored || stats === undefined || excludedDirs.length === 0) return ignored;
    // Only what would be watched is resolved. A file is in a directory already
    // judged, unless a plain --watch names it: then it is a base of its own.
    return (stats.isDirectory() || stats.isSymbolicLink() || bases.has(path)) && isExcluded(path);
  };
}
