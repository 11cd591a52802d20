import { lchownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expandGlobs } from "../../src/source/expandGlobs.js";
import { judgedFrom, RefusedLinkError, type RefusedLink } from "../../src/source/linkTrust.js";
import { openFile } from "../../src/source/openFile.js";
import { watchIgnores } from "../../src/source/watchIgnores.js";

/** Links owned by another uid need root (lchown). */
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/**
 * The symlink trust rule (fs.protected_symlinks' idea): a link found in a
 * watched tree is followed only if root, or the owner of its target, owns it.
 */
describe.skipIf(!asRoot)("symlink trust rule", () => {
  let dir: string;
  let logs: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ship-logs-links-"));
    logs = join(dir, "logs");
    mkdirSync(logs);
    writeFileSync(join(logs, "ok.log"), "ok\n");
    // Root's secret, and a directory of root's beside the tree.
    writeFileSync(join(dir, "secret"), "TOP-SECRET\n", { mode: 0o600 });
    mkdirSync(join(dir, "outside"));
    writeFileSync(join(dir, "outside", "x.log"), "outside\n");
    // nobody's own file.
    writeFileSync(join(dir, "own"), "own\n");
    lchownSync(join(dir, "own"), NOBODY, NOBODY);
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function link(target: string, path: string, owner = NOBODY): void {
    symlinkSync(target, path);
    lchownSync(path, owner, owner);
  }

  async function expand(pattern: string): Promise<{ paths: string[]; refused: RefusedLink[]; errors: string[] }> {
    const refused: RefusedLink[] = [];
    const errors: string[] = [];
    const paths = await expandGlobs([pattern], (path) => errors.push(path), [], () => {}, (refusal) => refused.push(refusal));
    return { paths, refused, errors };
  }

  it("the walk refuses a link by nobody to root's file and follows root's link and nobody's link to its own file", async () => {
    link(join(dir, "secret"), join(logs, "evil.log"));
    link(join(dir, "secret"), join(logs, "root.log"), 0);
    link(join(dir, "own"), join(logs, "own.log"));
    const { paths, refused, errors } = await expand(join(logs, "*.log"));
    expect(paths).toEqual([join(logs, "ok.log"), join(logs, "own.log"), join(logs, "root.log")]);
    expect(refused).toEqual([{ link: join(logs, "evil.log"), linkOwner: NOBODY, target: join(dir, "secret"), targetOwner: 0 }]);
    expect(errors).toEqual([]);
  });

  it("a `**` walk does not enter a directory link by nobody to / or to root's directory; root's directory link is walked", async () => {
    mkdirSync(join(logs, "sub"));
    link("/", join(logs, "sub", "root"));
    link(join(dir, "outside"), join(logs, "sub", "out"));
    link(join(dir, "outside"), join(logs, "trusted"), 0);
    const { paths, refused } = await expand(join(logs, "**", "*.log"));
    expect(paths).toEqual([join(logs, "ok.log"), join(logs, "trusted", "x.log")]);
    expect(refused.map((refusal) => refusal.link).sort()).toEqual([join(logs, "sub", "out"), join(logs, "sub", "root")]);
  });

  it("a dangling link is no refusal: it is passed over as before", async () => {
    link(join(dir, "missing"), join(logs, "gone.log"));
    const { paths, refused } = await expand(join(logs, "*.log"));
    expect(paths).toEqual([join(logs, "ok.log")]);
    expect(refused).toEqual([]);
  });

  it("openFile refuses the link, also below a trusted directory or through a refused directory link, and never opens the target", async () => {
    link(join(dir, "secret"), join(logs, "evil.log"));
    await expect(openFile(join(logs, "evil.log"))).rejects.toBeInstanceOf(RefusedLinkError);
    await expect(openFile(join(logs, "evil.log"), logs)).rejects.toMatchObject({ code: "EUNTRUSTEDLINK", refusal: { linkOwner: NOBODY, targetOwner: 0 } });
    link(dir, join(logs, "up"));
    await expect(openFile(join(logs, "up", "secret"), logs)).rejects.toMatchObject({ refusal: { link: join(logs, "up") } });
    link(join(dir, "own"), join(logs, "own.log"));
    const own = await openFile(join(logs, "own.log"), logs);
    await own.handle.close();
  });

  it("the --watch path itself and a glob's base may be links of anyone: the operator named them", async () => {
    link(join(dir, "secret"), join(dir, "named.log"));
    link(join(dir, "outside"), join(dir, "base"));
    const from = judgedFrom([join(dir, "named.log"), join(dir, "base")]);
    const named = await openFile(join(dir, "named.log"), from(join(dir, "named.log")));
    await named.handle.close();
    const below = await openFile(join(dir, "base", "x.log"), from(join(dir, "base", "x.log")));
    await below.handle.close();
    expect((await expand(join(dir, "base", "*.log"))).paths).toEqual([join(dir, "base", "x.log")]);
    expect((await expand(join(dir, "named.log"))).paths).toEqual([join(dir, "named.log")]);
  });

  it("the watcher ignores a refused link (file or directory) and not a trusted one", () => {
    mkdirSync(join(logs, "sub"));
    link(join(dir, "secret"), join(logs, "evil.log"));
    link("/", join(logs, "sub", "root"));
    link(join(dir, "own"), join(logs, "own.log"));
    link(join(dir, "outside"), join(logs, "trusted"), 0);
    const ignored = watchIgnores([join(logs, "**", "*.log")]);
    const judge = (path: string): boolean => ignored(path, lstatSync(path));
    expect(judge(join(logs, "evil.log"))).toBe(true);
    expect(judge(join(logs, "sub", "root"))).toBe(true);
    expect(judge(join(logs, "own.log"))).toBe(false);
    expect(judge(join(logs, "trusted"))).toBe(false);
  });
});

describe("a root-owned link to / under `**` (an operator's mistake, not refused)", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ship-logs-links-"));
    mkdirSync(join(dir, "logs", "sub"), { recursive: true });
    writeFileSync(join(dir, "logs", "ok.log"), "ok\n");
    symlinkSync("/", join(dir, "logs", "sub", "root"));
    symlinkSync("..", join(dir, "logs", "sub", "up"));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("is not walked (the loop guard: it leads back onto the path walked), nor watched", async () => {
    const paths = await expandGlobs([join(dir, "logs", "**", "*.log")]);
    expect(paths).toEqual([join(dir, "logs", "ok.log")]);
    const ignored = watchIgnores([join(dir, "logs", "**", "*.log")]);
    expect(ignored(join(dir, "logs", "sub", "root"), lstatSync(join(dir, "logs", "sub", "root")))).toBe(true);
    expect(ignored(join(dir, "logs", "sub", "up"), lstatSync(join(dir, "logs", "sub", "up")))).toBe(true);
    expect(ignored(join(dir, "logs", "sub"), lstatSync(join(dir, "logs", "sub")))).toBe(false);
  });
});
