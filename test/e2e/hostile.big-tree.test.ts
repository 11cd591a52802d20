import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_WALK_DEPTH, TOO_DEEP } from "../../src/source/expandGlobs.js";
import { LEVEL, logRecords, logsMatching } from "../support/logRecords.js";
import { waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, cleanEnv, runCli, startDaemon, startWorld, type DaemonProcess, type World } from "../support/world.js";
import { summaryOf } from "./onceSupport.js";

const SITES = 20;
const MODULES_PER_SITE = 100;
const FILES_PER_MODULE = 25;

/**
 * A glob of each site's logs/app.log, with a wildcard for the site, on a
 * host whose sites also hold their applications: 50 000 entries beside the
 * 20 logs. Watched and walked whole, they cost about 3 KiB of heap each, and
 * the daemon died of "JavaScript heap out of memory" under the unit's heap
 * limit before it shipped a line. Only the directories that can lead to a
 * match are entered.
 */
describe("hostile world: a large tree beside the logs under the glob's base (e2e, real CLI)", () => {
  let world: World | undefined;
  let daemon: DaemonProcess | undefined;

  afterEach(async () => {
    await daemon?.stop("SIGKILL");
    await world?.close();
    world = daemon = undefined;
  });

  it("ships every site's log under the unit's heap limit, and follows them", async () => {
    world = await startWorld();
    const srv = world.logs;
    for (let site = 0; site < SITES; site += 1) {
      await mkdir(join(srv, `site${site}`, "logs"), { recursive: true });
      await writeFile(join(srv, `site${site}`, "logs", "app.log"), `site${site} line\n`);
      for (let m = 0; m < MODULES_PER_SITE; m += 1) {
        const lib = join(srv, `site${site}`, "app", "node_modules", `m${m}`, "lib");
        await mkdir(lib, { recursive: true });
        await Promise.all(Array.from({ length: FILES_PER_MODULE }, (_, f) => writeFile(join(lib, `f${f}.js`), "")));
      }
    }
    daemon = startDaemon(
      [...baseArgs(world, join(srv, "*", "logs", "app.log")), "--flush-interval", "0.5"],
      cleanEnv({ NODE_OPTIONS: "--max-old-space-size=128 --max-semi-space-size=1" }),
    );
    await waitForLinesInS3(world, "app.log", SITES, 30_000);
    await appendFile(join(srv, "site0", "logs", "app.log"), "after start\n");
    await waitForLinesInS3(world, "app.log", SITES + 1, 30_000);
    const result = await daemon.stop();
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
  }, 120_000);

  it("--once ships ** matches down to the depth limit (32 levels, not 8), and says at warn, once, where the limit cut the walk", async () => {
    world = await startWorld();
    let at = join(world.logs, "deep");
    for (let level = 1; level <= MAX_WALK_DEPTH + 2; level += 1) {
      at = join(at, String(level));
      await mkdir(at, { recursive: true });
      await writeFile(join(at, `d${level}.log`), `level ${level}\n`);
    }
    const run = await runCli([...baseArgs(world, join(world.logs, "deep", "**", "*.log")), "--once"]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(run)).toMatchObject({ files: MAX_WALK_DEPTH, failures: 0 });
    const warned = logRecords(run.stderr).filter((record) => record.msg === TOO_DEEP);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: LEVEL.warn, pattern: join(world.logs, "deep", "**", "*.log") });
  }, 60_000);

  it("--once ships files whose names hold glob characters, escaped in the base or the plain path, and from SHIP_LOGS_WATCH with \\,", async () => {
    world = await startWorld();
    await mkdir(join(world.logs, "app (prod)"), { recursive: true });
    await writeFile(join(world.logs, "app (prod)", "app.log"), "prod\n");
    await writeFile(join(world.logs, "br[1].log"), "bracket\n");
    await writeFile(join(world.logs, "a,b.log"), "comma\n");
    await writeFile(join(world.logs, "a[1.log"), "unclosed\n");
    await writeFile(join(world.logs, "b.log"), "after the unclosed bracket\n");
    const args = baseArgs(world).filter((_, i, all) => all[i] !== "--watch" && all[i - 1] !== "--watch");
    const watch = `${world.logs}/app \\(prod\\)/*.log,${world.logs}/br\\[1\\].log,${world.logs}/a\\,b.log,${world.logs}/a[1.log,${world.logs}/b.log`;
    const run = await runCli([...args, "--once"], cleanEnv({ SHIP_LOGS_WATCH: watch }));
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(run)).toMatchObject({ files: 5, failures: 0 });
    expect(logsMatching(run.stderr, /no file matches/)).toEqual([]);
  }, 60_000);
});
