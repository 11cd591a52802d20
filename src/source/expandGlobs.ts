import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isWithin } from "./isWithin.js";
import { judgeLink, type RefusedLink } from "./linkTrust.js";
import { requirePackage } from "../loading/requirePackage.js";

const picomatch = requirePackage("picomatch") as typeof import("picomatch");

/**
 * How many directory levels below a glob's base `**` descends: deeper than any
 * real log tree, yet a bound on a runaway walk of /. The walk lists
 * directories up to this many levels below the base, and chokidar's `depth`
 * (PathsProvider) means the same: the base is level 0, and a directory is
 * read if its level is at most `depth`. A walk the limit cuts is reported
 * (`onDepthLimit`), never passed over in silence.
 */
export const MAX_WALK_DEPTH = 32;

/** What is said when MAX_WALK_DEPTH cut a walk (at warn: files there are not shipped). */
export const TOO_DEEP = `a --watch glob reaches deeper than ${MAX_WALK_DEPTH} directory levels below its base; files deeper are not shipped (narrow the glob, or start it lower)`;

/** A backslash escape: a backslash and the character after it, unless that is the "/" that ends a segment. */
const ESCAPE = /\\[^/]/g;

/**
 * A pattern's text as picomatch's matcher reads it where it holds no glob: each
 * backslash escape is the character after the backslash (`\,` a comma, `\[` a
 * bracket, `\\` one backslash). picomatch.scan's own `unescape` drops both
 * backslashes of `\\`.
 */
function unescapeGlob(text: string): string {
  return text.replace(/\\([\s\S])/g, "$1");
}

interface ScannedPattern {
  /** A glob (else a plain path, `base`). */
  isGlob: boolean;
  /** The directory the glob is rooted at (the part before its first wildcard), or the plain path, as a filesystem path: unescaped. */
  base: string;
  /** The glob below `base`, escapes masked: for its shape only. */
  glob: string;
  /** The pattern's segments, escapes kept, each to be read by picomatch; a brace group with a "/" in it is one. */
  parts: string[];
}

/**
 * picomatch.scan of the absolute pattern, with its escapes masked: scan keeps
 * the backslashes of an escaped character in `base` (a path no file has, so
 * `/logs/app\[prod\]/*.log` matched nothing), and an escaped "{" stops its
 * reading. Each escape is masked as two plain characters, so a position in
 * the masked text is one in the pattern, and what scan cuts is cut from the
 * pattern itself.
 */
function scanPattern(pattern: string): ScannedPattern {
  const resolved = resolve(pattern);
  const masked = resolved.replace(ESCAPE, "__");
  const scan = picomatch.scan(masked, { parts: true });
  // The segments scan cut, one "/" apart, cut from the pattern at the same places.
  let at = 0;
  const parts = (scan.parts ?? []).map((part) => {
    const original = resolved.slice(at, at + part.length);
    at += part.length + 1;
    return original;
  });
  // A plain path is all base; a glob's base is the pattern's start, up to a "/".
  const base = scan.isGlob ? resolved.slice(0, scan.base.length) : resolved;
  return { isGlob: scan.isGlob, base: base === "" ? "/" : unescapeGlob(base), glob: scan.glob, parts };
}

/**
 * The directory a glob is rooted at (the part before its first wildcard), or
 * a plain path: the filesystem path it names, its escapes read as picomatch
 * reads them (`/d/app \(prod\)/*.log` is rooted at `/d/app (prod)`).
 */
export function globBase(pattern: string): string {
  return scanPattern(pattern).base;
}

function isRecursive(pattern: string): boolean {
  const { glob } = scanPattern(pattern);
  return glob.includes("/") || glob.includes("**");
}

export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  return picomatch(patterns.map((pattern) => resolve(pattern)), { dot: true });
}

/**
 * Whether a directory can lead to a match of any of the globs: each of its
 * path segments matches the glob's segment at that depth, up to a `**` (or a
 * brace group with a `/` in it, which spans segments). The walks and the
 * file watcher enter no other directory: an application tree beside the
 * logs (its node_modules next to the logs of each /srv/<site>) would cost a
 * watch and about 3 KiB of heap per entry, enough to exhaust the daemon's.
 */
export function directoryMatcher(patterns: readonly string[]): (dir: string) => boolean {
  const globs = patterns.map((pattern) =>
    scanPattern(pattern)
      .parts.filter((part) => part !== "")
      .map((part) => ({ spansDirectories: part.includes("**") || part.includes("/"), isMatch: picomatch(part, { dot: true }) })),
  );
  return (dir) => {
    const names = resolve(dir).split("/").filter((name) => name !== "");
    return globs.some((segments) => {
      for (const [depth, name] of names.entries()) {
        const segment = segments[depth];
        if (segment === undefined) return false;
        if (segment.spansDirectories) return true;
        // The glob's last segment names files: no directory at its depth holds a match.
        if (depth === segments.length - 1 || !segment.isMatch(name)) return false;
      }
      return true;
    });
  };
}

/**
 * Regular files (or symlinks to them) that match any of the globs, as absolute
 * paths, sorted. Directories that cannot be listed, plain paths that cannot
 * be reached, and names that are not UTF-8 are skipped and reported through
 * `onError`, so one unreadable directory never hides the others.
 *
 * @param excludedDirs real paths of directories nothing is taken from, at any
 *   depth: the state dir. A glob that covers it (/var/**) would otherwise
 *   ship ship-logs' own state and spool as logs, the spooled lines twice.
 *   Judged by the real paths the walk knows already: no call per file.
 * @param onDepthLimit told once per pattern when the walk stops at
 *   MAX_WALK_DEPTH before a directory that may lead to a match (`dir`)
 * @param onRefusedLink told of each symlink the walk finds (to a matching
 *   file, or to a directory it would enter) that the symlink trust rule
 *   refuses (linkTrust): neither walked nor returned. A glob's base and a
 *   plain path are the operator's own: not judged.
 */
export async function expandGlobs(
  patterns: readonly string[],
  onError: (path: string, error: NodeJS.ErrnoException) => void = () => {},
  excludedDirs: readonly string[] = [],
  onDepthLimit: (pattern: string, dir: string) => void = () => {},
  onRefusedLink: (refusal: RefusedLink) => void = () => {},
): Promise<string[]> {
  const isMatch = globMatcher(patterns);
  const mayLeadToMatch = directoryMatcher(patterns);
  /** The pattern walked now, and whether the depth limit cut its walk (said once per pattern). */
  let walking = { pattern: "", reaches: (_dir: string): boolean => false, cut: false };
  const excluded = (real: string): boolean => excludedDirs.some((dir) => isWithin(real, dir));
  /** A file reached through a symlink (or named by a plain --watch) may be in an excluded directory whatever its spelled path. */
  const excludedFile = async (path: string): Promise<boolean> =>
    excludedDirs.length > 0 && excluded(await realpath(path).catch(() => path));
  const found = new Set<string>();
  /** `above`: the real paths of the directories walked to get here, this one included. */
  const walk = async (dir: string, depth: number, recursive: boolean, above: readonly string[]): Promise<void> => {
    let entries;
    try {
      // As bytes: a name that is not UTF-8 comes back as a string with U+FFFD
      // in it, a path that opens nothing. It is reported, not passed over.
      entries = await readdir(dir, { withFileTypes: true, encoding: "buffer" });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") onError(dir, error as NodeJS.ErrnoException);
      return;
    }
    const enter = async (path: string, real: string): Promise<void> => {
      if (excluded(real)) return;
      if (!recursive || !mayLeadToMatch(path)) return;
      if (depth < MAX_WALK_DEPTH) await walk(path, depth + 1, recursive, [...above, real]);
      else if (!walking.cut && walking.reaches(path)) {
        walking.cut = true;
        onDepthLimit(walking.pattern, path);
      }
    };
    for (const entry of entries) {
      const name = entry.name.toString("utf8");
      const path = join(dir, name);
      if (!Buffer.from(name, "utf8").equals(entry.name)) {
        if (isMatch(path) || (entry.isDirectory() && recursive && mayLeadToMatch(path))) {
          onError(path, new Error("its name is not valid UTF-8; rename it to ship it"));
        }
        continue;
      }
      if (entry.isDirectory()) {
        await enter(path, join(above.at(-1) ?? dir, name));
      } else if (entry.isSymbolicLink()) {
        // A link to a directory (/var/log/app -> /data/app/logs) is walked as
        // one, unless it leads back to a directory already on the way (a link
        // to "..", or to "/"): that would walk the same files, or the whole
        // host, over and over.
        const target = await stat(path).catch(() => undefined);
        const leadsToMatch = target?.isDirectory() === true ? recursive && mayLeadToMatch(path) : target?.isFile() === true && isMatch(path);
        // Judged only where it would be followed: a link the globs never reach costs nothing.
        if (leadsToMatch) {
          const link = await lstat(path).catch(() => undefined);
          const refusal = link === undefined ? undefined : await judgeLink(path, link);
          if (refusal !== undefined) {
            onRefusedLink(refusal);
            continue;
          }
        }
        if (target?.isDirectory()) {
          const real = await realpath(path).catch(() => undefined);
          if (real !== undefined && !above.some((on) => isWithin(on, real))) await enter(path, real);
        } else if (target?.isFile() && isMatch(path) && !(await excludedFile(path))) {
          found.add(path);
        }
      } else if (entry.isFile() && isMatch(path)) {
        found.add(path);
      }
    }
  };
  for (const pattern of patterns) {
    const { base, isGlob } = scanPattern(pattern);
    if (!isGlob) {
      // A plain path: no directory walk needed. Missing is fine (it may be
      // created later); unreachable (EACCES on a parent) is reported like an
      // unlistable directory, or --once would say it shipped everything.
      const info = await stat(base).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT" && error.code !== "ENOTDIR") onError(base, error);
        return undefined;
      });
      if (info?.isFile() && !(await excludedFile(base))) found.add(base);
      continue;
    }
    const realBase = await realpath(base).catch(() => base);
    if (excluded(realBase)) continue;
    walking = { pattern, reaches: directoryMatcher([pattern]), cut: false };
    await walk(base, 0, isRecursive(pattern), [realBase]);
  }
  return [...found].sort();
}
