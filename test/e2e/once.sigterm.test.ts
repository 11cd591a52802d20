import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectShippedExactlyOnce } from "../support/shippedLines.js";
import { logsMatching } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { baseArgs, cleanEnv, runCli, waitFor } from "../support/world.js";
import { checkpointOf, expectSuccess, keysOfFile, lastLine, numberedLines, readState, summaryOf, writeLines } from "./onceSupport.js";

/**
 * SPEC "Delivery": SIGTERM / SIGINT stop reading, upload what is batched,
 * save state, exit 0 — for `--once` as for the daemon. Node's default would
 * end the run at once, exit 143 or 130, without a word.
 */
describe("ship-logs --once stopped by SIGTERM / SIGINT (e2e)", () => {
  const scenario = useScenario();
  /** Every upload slot (4) holds a batch: these many intents are recorded before the first PUT answers. */
  const SLOTS = 4;

  it("SIGINT with uploads under way: they finish, no further batch is cut, state saved, exit 0; the next run ships the rest once", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const lines = numberedLines("app", 20_000);
    await writeLines(path, lines);
    // The first four PUTs hang for 3 s: the signal comes while all four slots wait on S3.
    world.s3.injectFault({ kind: "stall", forMs: 3_000, times: SLOTS });
    const run = scenario.startDaemon([...baseArgs(world), "--once", "--batch-max-bytes", "16KiB", "--stop-timeout", "60"]);
    await waitFor(async () => (await readState(world).catch(() => undefined))?.files[0]?.pending.length === SLOTS, 15_000, "four intents recorded");

    const result = await run.stop("SIGINT");

    expectSuccess(result);
    expect(lastLine(result.stderr)).toBe("ship-logs: stopped by SIGINT; what was not shipped goes at the next run");
    expect(logsMatching(result.stderr, /stopping: finishing the uploads under way/)).toHaveLength(1);
    expect(summaryOf(result).objects).toBe(SLOTS);
    // The four batches under way were stored and acknowledged; nothing was read after the signal.
    const stored = keysOfFile(world, "app.log");
    expect(stored).toHaveLength(SLOTS);
    const saved = checkpointOf(await readState(world), path);
    expect(saved?.pending).toEqual([]);
    expect(saved?.offset).toBeGreaterThan(0);

    const next = await runCli([...baseArgs(world), "--once", "--batch-max-bytes", "16KiB"]);
    expectSuccess(next);
    expectShippedExactlyOnce(world, "app.log", lines);
  });

  it("SIGTERM with S3 hanging past --stop-timeout: the uploads are cancelled, their intents kept, exit 0; the next run replays them under the same keys", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const lines = numberedLines("app", 20_000);
    await writeLines(path, lines);
    world.s3.injectFault({ kind: "stall", forMs: 120_000, times: 1_000 });
    const run = scenario.startDaemon([...baseArgs(world), "--once", "--batch-max-bytes", "16KiB", "--stop-timeout", "1"]);
    await waitFor(async () => (await readState(world).catch(() => undefined))?.files[0]?.pending.length === SLOTS, 15_000, "four intents recorded");

    const stoppedAt = Date.now();
    const result = await run.stop("SIGTERM");

    expectSuccess(result);
    expect(Date.now() - stoppedAt, "bounded by --stop-timeout").toBeLessThan(10_000);
    expect(lastLine(result.stderr)).toBe("ship-logs: stopped by SIGTERM; what was not shipped goes at the next run");
    // Cancelled by the stop, not refused by S3: no failure is reported.
    expect(logsMatching(result.stderr, /stop timeout reached/)).toHaveLength(1);
    expect(result.stderr).not.toMatch(/"level":50/);
    expect(summaryOf(result)).toMatchObject({ objects: 0, failures: 0 });
    const saved = checkpointOf(await readState(world), path);
    expect(saved?.offset).toBe(0);
    const recordedKeys = saved?.pending.map((intent) => intent.key) ?? [];
    expect(recordedKeys).toHaveLength(SLOTS);

    world.s3.clearFaults();
    const next = await runCli([...baseArgs(world), "--once", "--batch-max-bytes", "64KiB"]);
    expectSuccess(next);
    expect(keysOfFile(world, "app.log").slice(0, SLOTS)).toEqual(recordedKeys);
    expectShippedExactlyOnce(world, "app.log", lines);
  });

  it("a permanent failure before the signal still counts: exit 1, naming it; the uploads the stop cancelled do not", async () => {
    const instanceId = "i-0123456789abcdef0";
    // A slow S3, so that b.log's uploads are still under way at the signal.
    const world = await scenario.startWorld({ imds: { instanceId }, s3: { maxBytesPerSecond: 20_000 } });
    await writeLines(join(world.logs, "a.log"), ["denied"]);
    await writeLines(join(world.logs, "b.log"), numberedLines("b", 4_000));
    for (const day of new Set([new Date(), new Date(Date.now() + 60_000)].map((at) => at.toISOString().slice(0, 10)))) {
      world.s3.injectFault({ kind: "deny", keyPrefix: `${instanceId}/${day}/a.log/` });
    }
    const run = scenario.startDaemon([...baseArgs(world), "--once", "--compression", "none", "--batch-max-bytes", "16KiB", "--stop-timeout", "1"]);
    await waitFor(() => run.stderr().includes("AccessDenied"), 15_000, "a.log refused");

    const result = await run.stop("SIGTERM");

    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toMatch(/^ship-logs: could not ship everything: .*a\.log.*AccessDenied/);
    expect(lastLine(result.stderr)).not.toMatch(/b\.log|\(and \d+ more\)/);
  });

  it("SIGTERM while a credential_process hangs: exit 0 at once, not when the helper ends", async () => {
    const world = await scenario.startWorld();
    await writeLines(join(world.logs, "app.log"), numberedLines("app", 10));
    const home = join(dirname(world.state), "home");
    await mkdir(home, { recursive: true });
    const helper = join(home, "hang.sh");
    await writeFile(helper, "#!/bin/sh\nsleep 60\n");
    await chmod(helper, 0o755);
    await writeFile(join(home, "config"), `[default]\ncredential_process = ${helper}\n`);
    const env = cleanEnv({ HOME: home, AWS_CONFIG_FILE: join(home, "config"), AWS_SHARED_CREDENTIALS_FILE: join(home, "none") });
    const run = scenario.startDaemon([...baseArgs(world), "--once", "--credentials", "chain", "--log-level", "debug"], env);
    await waitFor(() => run.stderr().includes("fromProcess"), 15_000, "the chain at credential_process");

    const signalledAt = Date.now();
    const result = await run.stop("SIGTERM");

    expect(result.code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(lastLine(result.stderr)).toBe("ship-logs: stopped by SIGTERM; what was not shipped goes at the next run");
  });

  it("SIGTERM while IMDS does not answer at start: exit 0 at once, nothing shipped", async () => {
    const world = await scenario.startWorld();
    await writeLines(join(world.logs, "app.log"), numberedLines("app", 10));
    world.imds.stall(60_000);
    const run = scenario.startDaemon([...baseArgs(world), "--once"]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const signalledAt = Date.now();
    const result = await run.stop("SIGTERM");

    expect(result.code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(4_000);
    expect(lastLine(result.stderr)).toBe("ship-logs: stopped by SIGTERM; what was not shipped goes at the next run");
  });
});
