import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useScenario } from "../support/scenario.js";
import { BUCKET, baseArgs, runCli } from "../support/world.js";
import { lastLine, numberedLines, writeLines } from "./onceSupport.js";

/**
 * IMDS (or a proxy before it) answers, then stops partway through the body
 * and never finishes. The SDK's metadata client times out only the wait for
 * the headers: without a deadline of ours every command hung for good.
 */
describe("IMDS answers that stop partway (e2e, real CLI)", () => {
  const scenario = useScenario();

  it("--once: exit 1 with one line saying so, in seconds, not never", async () => {
    const world = await scenario.startWorld();
    await writeLines(join(world.logs, "app.log"), numberedLines("app", 3));
    world.imds.stallBodies();
    const started = Date.now();
    const result = await runCli([...baseArgs(world), "--once"]);
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(lastLine(result.stderr)).toMatch(/stopped partway through its answers \(no complete answer in 8000 ms\)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(world.s3.listObjects(BUCKET)).toEqual([]);
  }, 60_000);

  it("check: reports the instance metadata service failing, and exits", async () => {
    const world = await scenario.startWorld();
    world.imds.stallBodies();
    const result = await runCli(["check", ...baseArgs(world)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL .*stopped partway through its answers/m);
  }, 60_000);

  it("daemon: says why it waits at start, and a SIGTERM meanwhile exits 0 at once", async () => {
    const world = await scenario.startWorld();
    world.imds.stallBodies();
    const daemon = scenario.startDaemon(baseArgs(world));
    await daemon.waitForLog(/cannot read the instance id from the instance metadata service; retrying until it answers/, 20_000);
    expect(daemon.stderr()).toMatch(/stopped partway through its answers/);
    const signalledAt = Date.now();
    const result = await daemon.stop("SIGTERM");
    expect(result.code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(4_000);
  }, 60_000);
});
