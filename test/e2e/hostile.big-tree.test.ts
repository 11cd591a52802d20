import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, cleanEnv, startDaemon, startWorld, type DaemonProcess, type World } from "../support/world.js";

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
});
