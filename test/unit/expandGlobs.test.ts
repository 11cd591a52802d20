import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, type Stats } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { directoryMatcher, expandGlobs, globBase, globMatcher, MAX_WALK_DEPTH } from "../../src/source/expandGlobs.js";
import { unmatchedPatterns } from "../../src/source/unmatchedPatterns.js";
import { watchIgnores } from "../../src/source/watchIgnores.js";
import { SHIP_LOGS_OPTIONS } from "../../src/config/shipLogsOptions.js";

describe("expandGlobs", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ship-logs-globs-"));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function expand(patterns: string[], excludedDirs: readonly string[] = []): Promise<{ paths: string[]; errors: string[] }> {
    const errors: string[] = [];
    return expandGlobs(patterns, (path, error) => errors.push(`${path} ${error.code ?? error.message}`), excludedDirs).then((paths) => ({ paths, errors }));
  }

  it("finds plain paths and glob matches; a plain path that does not exist yet is no error", async () => {
    mkdirSync(join(dir, "logs"));
    writeFileSync(join(dir, "logs", "a.log"), "a\n");
    writeFileSync(join(dir, "logs", "b.txt"), "b\n");
    writeFileSync(join(dir, "plain.log"), "p\n");
    expect(await expand([join(dir, "logs", "*.log"), join(dir, "plain.log"), join(dir, "later.log")])).toEqual({
      paths: [join(dir, "logs", "a.log"), join(dir, "plain.log")],
      errors: [],
    });
  });

  it("reports a plain path that cannot be reached, as it does a directory that cannot be listed", async () => {
    // A symlink loop fails with ELOOP, for root too (permissions would not).
    symlinkSync(join(dir, "loop-b"), join(dir, "loop-a"));
    symlinkSync(join(dir, "loop-a"), join(dir, "loop-b"));
    expect(await expand([join(dir, "loop-a", "app.log"), join(dir, "loop-a", "*.log")])).toEqual({
      paths: [],
      errors: [`${join(dir, "loop-a", "app.log")} ELOOP`, `${join(dir, "loop-a")} ELOOP`],
    });
  });

  it("reports a matching name that is not valid UTF-8 instead of passing over it, and ships the others", async () => {
    writeFileSync(Buffer.concat([Buffer.from(join(dir, "bad-")), Buffer.from([0xff]), Buffer.from(".log")]), "x\n");
    writeFileSync(Buffer.concat([Buffer.from(join(dir, "other-")), Buffer.from([0xfe]), Buffer.from(".txt")]), "x\n");
    writeFileSync(join(dir, "good.log"), "g\n");
    expect(await expand([join(dir, "*.log")])).toEqual({
      paths: [join(dir, "good.log")],
      errors: [`${join(dir, "bad-\uFFFD.log")} its name is not valid UTF-8; rename it to ship it`],
    });
  });

  it("walks a directory reached through a symlink, as a directory", async () => {
    mkdirSync(join(dir, "data", "app-logs"), { recursive: true });
    writeFileSync(join(dir, "data", "app-logs", "app.log"), "a\n");
    mkdirSync(join(dir, "log"));
    symlinkSync(join(dir, "data", "app-logs"), join(dir, "log", "app"));
    expect(await expand([join(dir, "log", "*", "app.log")])).toEqual({ paths: [join(dir, "log", "app", "app.log")], errors: [] });
    expect(await expand([join(dir, "log", "**", "*.log")])).toEqual({ paths: [join(dir, "log", "app", "app.log")], errors: [] });
  });

  it("does not follow a link back to a directory on the way, nor to /: one file, one path", async () => {
    mkdirSync(join(dir, "logs", "app"), { recursive: true });
    writeFileSync(join(dir, "logs", "app", "a.log"), "a\n");
    symlinkSync(join(dir, "logs"), join(dir, "logs", "app", "up"));
    symlinkSync("/", join(dir, "logs", "root"));
    symlinkSync(join(dir, "logs", "app"), join(dir, "logs", "same"));
    expect(await expand([join(dir, "logs", "**", "*.log")])).toEqual({
      paths: [join(dir, "logs", "app", "a.log"), join(dir, "logs", "same", "a.log")],
      errors: [],
    });
  });

  it("reads backslash escapes in a plain path and in the base directory as picomatch's matcher does: the escaped character itself", async () => {
    const files = ["a,b.log", "br[1].log", "q?.log", "star*.log", "app[prod]/x.log", "app (prod)/x.log", "a{b}/c/x.log", "back\\slash/x.log", "x!y/x.log"];
    for (const file of files) {
      mkdirSync(join(dir, file, ".."), { recursive: true });
      writeFileSync(join(dir, file), "x\n");
    }
    const patterns = [
      `${dir}/a\\,b.log`,
      `${dir}/br\\[1\\].log`,
      `${dir}/q\\?.log`,
      `${dir}/star\\*.log`,
      `${dir}/app\\[prod\\]/*.log`,
      `${dir}/app \\(prod\\)/*.log`,
      `${dir}/a\\{b\\}/c/*.log`,
      `${dir}/back\\\\slash/*.log`,
      `${dir}/x\\!y/*.log`,
    ];
    expect(patterns.map(globBase)).toEqual([
      join(dir, "a,b.log"),
      join(dir, "br[1].log"),
      join(dir, "q?.log"),
      join(dir, "star*.log"),
      join(dir, "app[prod]"),
      join(dir, "app (prod)"),
      join(dir, "a{b}", "c"),
      join(dir, "back\\slash"),
      join(dir, "x!y"),
    ]);
    for (const [i, pattern] of patterns.entries()) {
      const found = await expand([pattern]);
      expect(found, pattern).toEqual({ paths: [join(dir, files[i] ?? "")], errors: [] });
      // The matcher (events, unmatchedPatterns, the files taken out of --watch) agrees with the walk.
      expect(globMatcher([pattern])(join(dir, files[i] ?? "")), pattern).toBe(true);
      expect(unmatchedPatterns([pattern], found.paths)).toEqual([]);
    }
    // Unescaped, the parentheses are a group to picomatch: the name with them in it is not matched.
    expect((await expand([`${dir}/app (prod)/*.log`])).paths).toEqual([]);
  });

  /** dir/logs/1/2/…/n, with dK.log in the directory K levels below logs; returns the files' paths. */
  function deepTree(levels: number): string[] {
    const files: string[] = [];
    let at = join(dir, "logs");
    for (let level = 1; level <= levels; level++) {
      at = join(at, String(level));
      mkdirSync(at, { recursive: true });
      writeFileSync(join(at, `d${level}.log`), `${level}\n`);
      files.push(join(at, `d${level}.log`));
    }
    return files;
  }

  it("walks ** deeper than any real log tree: files 10 levels below the base are found", async () => {
    const files = deepTree(10);
    expect(await expand([join(dir, "logs", "**", "*.log")])).toEqual({ paths: [...files].sort(), errors: [] });
  });

  it("says once per pattern where the depth limit cuts a walk, instead of passing over what is deeper in silence", async () => {
    const files = deepTree(MAX_WALK_DEPTH + 2);
    const cuts: string[] = [];
    const patterns = [join(dir, "logs", "**", "*.log"), join(dir, "logs", "**", "d*.log"), join(dir, "logs", "*.log")];
    const paths = await expandGlobs(patterns, () => {}, [], (pattern, at) => cuts.push(`${pattern} ${at}`));
    expect(paths).toEqual(files.slice(0, MAX_WALK_DEPTH).sort());
    const cutAt = join(dir, "logs", ...Array.from({ length: MAX_WALK_DEPTH + 1 }, (_, i) => String(i + 1)));
    // Not the pattern that does not recurse, and each of the others once, though two levels are cut.
    expect(cuts).toEqual([`${patterns[0]} ${cutAt}`, `${patterns[1]} ${cutAt}`]);
  });

  it("says nothing when the tree ends at the depth limit", async () => {
    deepTree(MAX_WALK_DEPTH);
    const cuts: string[] = [];
    const paths = await expandGlobs([join(dir, "logs", "**", "*.log")], () => {}, [], (_pattern, at) => cuts.push(at));
    expect(paths).toHaveLength(MAX_WALK_DEPTH);
    expect(cuts).toEqual([]);
  });

  it("--help (and README's table) gives the limit the walk has", () => {
    expect(SHIP_LOGS_OPTIONS.watch.description).toContain(`at most ${MAX_WALK_DEPTH} directory levels`);
  });

  it("takes nothing from an excluded directory (the state dir), however it is spelled: through a symlink, a `..`, or a plain path", async () => {
    const state = join(dir, "state");
    mkdirSync(join(state, "spool"), { recursive: true });
    writeFileSync(join(state, "state.json"), "{}");
    writeFileSync(join(state, "spool", "1.body"), "a spooled line\n");
    mkdirSync(join(dir, "logs"));
    writeFileSync(join(dir, "logs", "app.log"), "a\n");
    symlinkSync(state, join(dir, "logs", "state-link"));
    symlinkSync(join(state, "state.json"), join(dir, "logs", "state.json"));
    const onlyTheLog = { paths: [join(dir, "logs", "app.log")], errors: [] };
    expect(await expand([join(dir, "**")], [state])).toEqual(onlyTheLog);
    expect(await expand([join(dir, "*", "*")], [state])).toEqual(onlyTheLog);
    expect(await expand([join(dir, "logs", "*")], [state])).toEqual(onlyTheLog);
    // Globs rooted in the state dir, and a plain path into it, spelled through the link and through "..".
    expect(await expand([`${dir}/logs/../state/**`, join(dir, "logs", "state-link", "spool", "1.body"), join(dir, "logs", "state-link", "*")], [state])).toEqual({ paths: [], errors: [] });
    // Without the exclusion the same walk finds the state files (what the daemon and --once shipped as logs).
    expect((await expand([join(dir, "**")])).paths).toContain(join(state, "spool", "1.body"));
  });
});

describe("directoryMatcher", () => {
  it("enters only directories whose every segment matches the glob's at that depth", () => {
    const mayLeadToMatch = directoryMatcher(["/srv/*/logs/app-*.log"]);
    expect(["/", "/srv", "/srv/site", "/srv/site/logs"].filter(mayLeadToMatch)).toEqual(["/", "/srv", "/srv/site", "/srv/site/logs"]);
    // Beside the logs, and below the depth of the file names: never entered.
    expect(["/srv/site/node_modules", "/srv/site/logs/old", "/var", "/srv/site/app/logs"].filter(mayLeadToMatch)).toEqual([]);
  });

  it("enters everything below a **, and below a brace group that spans directories", () => {
    expect(directoryMatcher(["/var/log/**/*.log"])("/var/log/a/b/c")).toBe(true);
    expect(directoryMatcher(["/var/log/**/*.log"])("/var/lib")).toBe(false);
    const braces = directoryMatcher(["/var/log/{nginx/access,app}/*.log"]);
    expect(braces("/var/log/nginx")).toBe(true);
    expect(braces("/var/lib")).toBe(false);
  });

  it("takes any of several globs, and dot directories", () => {
    const mayLeadToMatch = directoryMatcher(["/a/*/x.log", "/b/**/y.log"]);
    expect(mayLeadToMatch("/a/.hidden")).toBe(true);
    expect(mayLeadToMatch("/b/c/d")).toBe(true);
    expect(mayLeadToMatch("/a/c/d")).toBe(false);
  });
});

describe("watchIgnores", () => {
  const ignores = watchIgnores(["/srv/*/logs/*.log"]);
  const directory = { isDirectory: () => true, isSymbolicLink: () => false } as Stats;
  const file = { isDirectory: () => false, isSymbolicLink: () => false } as Stats;

  it("keeps the base, the directories that can lead to a match and the matching files", () => {
    expect(ignores("/srv")).toBe(false);
    expect(ignores("/srv/site")).toBe(false);
    expect(ignores("/srv/site", directory)).toBe(false);
    expect(ignores("/srv/site/logs", directory)).toBe(false);
    expect(ignores("/srv/site/logs/app.log")).toBe(false);
    expect(ignores("/srv/site/logs/app.log", file)).toBe(false);
  });

  it("keeps an escaped base and plain path as the names they are on disk, and what matches below them", () => {
    const escaped = watchIgnores(["/srv/app \\(prod\\)/*.log", "/srv/a\\,b.log"]);
    expect(escaped("/srv/app (prod)", directory)).toBe(false);
    expect(escaped("/srv/app (prod)/x.log", file)).toBe(false);
    expect(escaped("/srv/a,b.log", file)).toBe(false);
    expect(escaped("/srv/app (prod)/x.txt", file)).toBe(true);
  });

  it("keeps a symlink to a directory that can lead to a match: chokidar hands it lstat's stats", () => {
    const dir = mkdtempSync(join(tmpdir(), "ship-logs-watch-"));
    try {
      mkdirSync(join(dir, "data"));
      mkdirSync(join(dir, "log"));
      symlinkSync(join(dir, "data"), join(dir, "log", "app"));
      const linked = watchIgnores([join(dir, "log", "*", "app.log")]);
      expect(linked(join(dir, "log", "app"), lstatSync(join(dir, "log", "app")))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("drops the state dir and what is below it, judged by real path: no event of a state save reaches the daemon", () => {
    const dir = mkdtempSync(join(tmpdir(), "ship-logs-watch-"));
    try {
      const state = join(dir, "state");
      mkdirSync(join(state, "spool"), { recursive: true });
      writeFileSync(join(state, "state.json"), "{}");
      mkdirSync(join(dir, "logs"));
      symlinkSync(state, join(dir, "logs", "state-link"));
      const covering = watchIgnores([join(dir, "**"), join(state, "state.json")], [state]);
      expect(covering(join(dir, "logs"), lstatSync(join(dir, "logs")))).toBe(false);
      expect(covering(state, lstatSync(state))).toBe(true);
      expect(covering(join(state, "spool"), lstatSync(join(state, "spool")))).toBe(true);
      expect(covering(join(dir, "logs", "state-link"), lstatSync(join(dir, "logs", "state-link")))).toBe(true);
      // A plain --watch into it is a base of its own: dropped too.
      expect(covering(join(state, "state.json"), lstatSync(join(state, "state.json")))).toBe(true);
      // Without stats chokidar drops for good: nothing is decided there.
      expect(covering(state)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("drops an application tree beside the logs, and files that do not match", () => {
    expect(ignores("/srv/site/node_modules")).toBe(true);
    expect(ignores("/srv/site/node_modules", directory)).toBe(true);
    expect(ignores("/srv/site/logs/app.log.1", file)).toBe(true);
    expect(ignores("/srv/site/README.md", file)).toBe(true);
  });
});
