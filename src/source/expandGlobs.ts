import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { requirePackage } from "../loading/requirePackage.js";

const picomatch = requirePackage("picomatch") as typeof import("picomatch");

/** How deep `**` descends: log trees are shallow, and a runaway walk of / is not an option. */
const MAX_DEPTH = 8;

/** The directory a glob is rooted at: the part before its first wildcard. */
export function globBase(pattern: string): string {
  const scan = picomatch.scan(resolve(pattern));
  return scan.base === "" ? "/" : scan.base;
}

function isRecursive(pattern: string): boolean {
  const scan = picomatch.scan(resolve(pattern));
  return scan.glob.includes("/") || scan.glob.includes("**");
}

export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  return picomatch(patterns.map((pattern) => resolve(pattern)), { dot: true });
}

/**
 * Regular files (or symlinks to them) that match any of the globs, as absolute
 * paths, sorted. Directories that cannot be listed, and plain paths that
 * cannot be reached, are skipped and reported through `onError`, so one
 * unreadable directory never hides the others.
 */
export async function expandGlobs(
  patterns: readonly string[],
  onError: (path: string, error: NodeJS.ErrnoException) => void = () => {},
): Promise<string[]> {
  const isMatch = globMatcher(patterns);
  const found = new Set<string>();
  const walk = async (dir: string, depth: number, recursive: boolean): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") onError(dir, error as NodeJS.ErrnoException);
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recursive && depth < MAX_DEPTH) await walk(path, depth + 1, recursive);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && isMatch(path)) {
        if (entry.isSymbolicLink()) {
          const target = await stat(path).catch(() => undefined);
          if (!target?.isFile()) continue;
        }
        found.add(path);
      }
    }
  };
  for (const pattern of patterns) {
    const base = globBase(pattern);
    const scan = picomatch.scan(resolve(pattern));
    if (!scan.isGlob) {
      // A plain path: no directory walk needed. Missing is fine (it may be
      // created later); unreachable (EACCES on a parent) is reported like an
      // unlistable directory, or --once would say it shipped everything.
      const info = await stat(base).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT" && error.code !== "ENOTDIR") onError(base, error);
        return undefined;
      });
      if (info?.isFile()) found.add(resolve(pattern));
      continue;
    }
    await walk(base, 0, isRecursive(pattern));
  }
  return [...found].sort();
}
