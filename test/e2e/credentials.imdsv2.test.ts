import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { freePort } from "../support/freePort.js";
import { logRecords, LEVEL } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, runCli } from "../support/world.js";
import { replaceFlag } from "./onceSupport.js";

/**
 * Issue 4, step 7: IMDSv2 only, and no IMDS at all. (Every other credentials test also asserts
 * that fake-imds never saw a request without a live session token.)
 */
describe("credentials: no instance metadata service (e2e, real CLI)", () => {
  const scenario = useScenario();

  it("--once with nothing listening on the IMDS endpoint exits 1 with one line that says so", async () => {
    const world = await scenario.startWorld();
    await writeFile(join(world.logs, "app.log"), "one\ntwo\n");
    // Free a moment ago: nothing listens on it.
    const port = await freePort();
    const result = await runCli([...replaceFlag(baseArgs(world), "--imds-endpoint", `http://127.0.0.1:${port}`), "--once"]);

    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^ship-logs: .*IMDS unreachable at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(world.s3.requests).toEqual([]);
    expect(world.imds.requests).toEqual([]);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  });

  it("the daemon with nothing listening on the IMDS endpoint says so once, keeps retrying, and ships once IMDS is up", async () => {
    const world = await scenario.startWorld();
    const lines = ["first", "second", "third"];
    await writeFile(join(world.logs, "app.log"), lines.map((line) => `${line}\n`).join(""));
    // fake-imds stops listening: connects to its port are refused, as with no IMDS at all.
    await world.imds.refuseConnections();
    const daemon = scenario.startDaemon([...baseArgs(world), "--flush-interval", "0.5", "--log-level", "trace"]);
    await daemon.waitForLog(/IMDS unreachable/, 15_000);
    await sleep(6_000);

    expect(daemon.child.exitCode, "the daemon is still running").toBeNull();
    const errors = logRecords(daemon.stderr()).filter((record) => record.level >= LEVEL.error);
    expect(errors.map((record) => record.msg)).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toContain(`IMDS unreachable at ${world.imds.endpoint} (ECONNREFUSED)`);
    expect(world.s3.requests).toEqual([]);

    // IMDS comes up (say the instance finished booting): the daemon starts shipping by itself.
    await world.imds.clearFaults();
    await waitForLinesInS3(world, "app.log", lines.length, 30_000);
    const result = await daemon.stop("SIGTERM");
    expect(result.code).toBe(0);
    expectShippedExactlyOnce(world, "app.log", lines);
    assertImdsV2Only(world.imds);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);
});
