import { readdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useScenario } from "../support/scenario.js";
import { waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, cleanEnv } from "../support/world.js";

/*
 * The executable sizes libuv's thread pool, where zlib compresses, before
 * anything starts the pool (src/cli/bin.cts). Seen from outside: a daemon
 * that has compressed and uploaded a line, so that its pool is up, runs as
 * many threads as one given that size by hand, and fewer than one given
 * Node's default of four on a host with fewer than four cores. (Every other
 * thread of a Node process starts with it, whatever it does.)
 */
describe("the ship-logs executable sizes libuv's thread pool (e2e, real CLI, issue 6)", () => {
  const scenario = useScenario();

  async function threadsOnceShipping(env: NodeJS.ProcessEnv): Promise<number> {
    const world = await scenario.startWorld();
    scenario.lineWriter(join(world.logs, "app.log")).write();
    const daemon = scenario.startDaemon([...baseArgs(world), "--flush-interval", "1"], env);
    await waitForLinesInS3(world, "app.log", 1, 15_000);
    const threads = (await readdir(`/proc/${daemon.child.pid}/task`)).length;
    await daemon.stop();
    return threads;
  }

  it("one thread per core, at least 2 and at most 4; an operator's UV_THREADPOOL_SIZE wins", async () => {
    const size = Math.max(2, Math.min(4, availableParallelism()));
    const sized = await threadsOnceShipping(cleanEnv());
    expect(await threadsOnceShipping(cleanEnv({ UV_THREADPOOL_SIZE: String(size) }))).toBe(sized);
    expect(await threadsOnceShipping(cleanEnv({ UV_THREADPOOL_SIZE: "4" }))).toBe(sized + 4 - size);
    expect(await threadsOnceShipping(cleanEnv({ UV_THREADPOOL_SIZE: "7" }))).toBe(sized + 7 - size);
  });
});
