import { appendFile, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateStore } from "../../src/source/StateStore.js";
import { expectShippedExactlyOnce } from "../support/shippedLines.js";
import { logsMatching } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { BUCKET, baseArgs, linesInS3, runCli, waitFor } from "../support/world.js";
import {
  checkpointOf,
  expectSuccess,
  keysOfFile,
  lastLine,
  numberedLines,
  rangeOfKey,
  readState,
  writeLines,
} from "./onceSupport.js";

const INSTANCE_ID = "i-0123456789abcdef0";

/**
 * SPEC "What lands in S3": a key is decided before its upload and kept in the state, so an upload
 * retried after a failure or a crash writes the same key again and S3 ends with each line once.
 *
 * The second run of each test uses a different --batch-max-bytes: had it cut the bytes afresh
 * instead of replaying the recorded intents, its keys (byte ranges) would differ from the recorded
 * ones and lines would be stored twice, under two keys.
 */
describe("ship-logs --once: replay of recorded uploads (e2e)", () => {
  const scenario = useScenario();

  it("an upload refused after its intent was saved is replayed under the recorded key by the next run", async () => {
    const world = await scenario.startWorld({ imds: { instanceId: INSTANCE_ID } });
    const kept = numberedLines("kept", 1_500);
    const refused = numberedLines("refused", 1_500);
    const refusedPath = join(world.logs, "refused.log");
    await writeLines(join(world.logs, "kept.log"), kept);
    await writeLines(refusedPath, refused);
    // AccessDenied is permanent: --once gives up at once (a 500 would be retried for ~15 s first).
    // Both UTC days of the run are denied, in case it crosses midnight.
    const days = [new Date(), new Date(Date.now() + 60_000)].map((at) => at.toISOString().slice(0, 10));
    for (const day of new Set(days)) world.s3.injectFault({ kind: "deny", keyPrefix: `${INSTANCE_ID}/${day}/refused.log/` });

    const failed = await runCli([...baseArgs(world), "--once", "--batch-max-bytes", "16KiB"]);

    expect(failed.code).toBe(1);
    expect(lastLine(failed.stderr)).toMatch(/^ship-logs: could not ship everything: .*refused\.log.*(AccessDenied|denied)/);
    expect(keysOfFile(world, "refused.log")).toEqual([]);
    expectShippedExactlyOnce(world, "kept.log", kept);
    const recorded = checkpointOf(await readState(world), refusedPath);
    expect(recorded?.offset, "checkpoint of the refused file").toBe(0);
    const recordedKeys = recorded?.pending.map((intent) => intent.key) ?? [];
    expect(recordedKeys.length, "intents recorded before the refused PUTs").toBeGreaterThan(0);

    world.s3.clearFaults();
    const replayed = await runCli([...baseArgs(world), "--once", "--batch-max-bytes", "64KiB"]);

    expectSuccess(replayed);
    expect(logsMatching(replayed.stderr, /replaying an upload/).map((record) => record["key"])).toEqual(recordedKeys);
    const storedKeys = keysOfFile(world, "refused.log");
    expect(storedKeys.slice(0, recordedKeys.length)).toEqual(recordedKeys);
    expectShippedExactlyOnce(world, "kept.log", kept);
    expectShippedExactlyOnce(world, "refused.log", refused);
    expect(checkpointOf(await readState(world), refusedPath)?.pending).toEqual([]);
  });

  it("after kill -9 with an upload in flight, the next run re-sends the recorded keys and each line is stored once", async () => {
    const world = await scenario.startWorld();
    const path = join(world.logs, "app.log");
    const lines = numberedLines("app", 3_000);
    await writeLines(path, lines);
    const size = (await readFile(path)).length;
    // The first PUT hangs; the other upload slots carry on, so S3 stores later batches that the
    // checkpoint cannot pass yet: exactly the objects a crash leaves stored but unacknowledged.
    world.s3.injectFault({ kind: "stall", forMs: 30_000, times: 1 });
    const puts = (): number => world.s3.requests.filter((request) => request.operation === "PutObject" && request.status === 200).length;

    const crashed = scenario.startDaemon([...baseArgs(world), "--once", "--batch-max-bytes", "16KiB"]);
    await waitFor(() => puts() >= 3, 15_000, "three uploads past the stalled one");
    const { signal } = await crashed.stop("SIGKILL");

    expect(signal).toBe("SIGKILL");
    // A PUT fully sent just before the kill may still be being stored: let it land first.
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The state a crash leaves must be one the next start trusts (checksum and all).
    await expect(new StateStore(world.state).load()).resolves.toMatchObject({ files: [expect.anything()] });
    const recorded = checkpointOf(await readState(world), path);
    expect(recorded?.offset, "checkpoint behind the stalled upload").toBe(0);
    const recordedKeys = recorded?.pending.map((intent) => intent.key) ?? [];
    expect(recordedKeys.length).toBeGreaterThan(puts());
    const storedBeforeReplay = new Set(world.s3.listObjects(BUCKET).map(({ key }) => key));
    expect([...storedBeforeReplay].every((key) => recordedKeys.includes(key)), "everything stored was a recorded intent").toBe(true);

    const replayed = await runCli([...baseArgs(world), "--once", "--batch-max-bytes", "64KiB"]);

    expectSuccess(replayed);
    const stored = linesInS3(world).get("app.log") ?? [];
    expect(stored.length, "lines in S3").toBe(lines.length);
    expect(stored).toEqual(lines);
    const storedKeys = keysOfFile(world, "app.log");
    expect(storedKeys.slice(0, recordedKeys.length)).toEqual(recordedKeys);
    // Objects written twice are exactly the stored-but-unacknowledged ones, rewritten under the same key.
    const rewritten = world.s3
      .listObjects(BUCKET)
      .filter(({ object }) => object.putCount > 1)
      .map(({ key }) => key);
    expect(new Set(rewritten)).toEqual(storedBeforeReplay);
    expect(world.s3.listObjects(BUCKET).every(({ object }) => object.putCount <= 2)).toBe(true);
    expect(rangeOfKey(storedKeys.at(-1) ?? "").end).toBe(size);
    expect(checkpointOf(await readState(world), path)).toMatchObject({ offset: size, pending: [] });
  });

  it("a rotated file whose first run failed is finished by the next, though its checkpoint already has the new name", async () => {
    const world = await scenario.startWorld({ imds: { instanceId: INSTANCE_ID } });
    const path = join(world.logs, "app.log");
    const first = numberedLines("first", 200);
    const rotated = numberedLines("rotated", 200);
    const next = numberedLines("next", 200);
    await writeLines(path, first);
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    await appendFile(path, rotated.map((line) => `${line}\n`).join(""));
    await rename(path, join(world.logs, "app.log.1"));
    await writeLines(path, next);

    // The run finds app.log.1 by its identity, saves that name and its intent, and is refused.
    const days = new Set([new Date(), new Date(Date.now() + 60_000)].map((at) => at.toISOString().slice(0, 10)));
    for (const day of days) world.s3.injectFault({ kind: "deny", keyPrefix: `${INSTANCE_ID}/${day}/app.log.1/` });
    expect((await runCli([...baseArgs(world), "--once"])).code).toBe(1);
    expect((await readState(world)).files.find((file) => file.path.endsWith("app.log.1"))?.pending).toHaveLength(1);
    world.s3.clearFaults();

    // No glob matches app.log.1 and the file is where its checkpoint says: only its recorded state leads to it.
    expectSuccess(await runCli([...baseArgs(world), "--once"]));
    expect(linesInS3(world).get("app.log.1")).toEqual(rotated);
    expect([...(linesInS3(world).get("app.log") ?? [])].sort()).toEqual([...first, ...next].sort());
  });

  it("a file removed from --watch is not shipped again, though its checkpoint stays", async () => {
    const world = await scenario.startWorld({ imds: { instanceId: INSTANCE_ID } });
    const kept = join(world.logs, "kept.log");
    const dropped = join(world.logs, "dropped.log");
    await writeLines(kept, numberedLines("kept", 10));
    await writeLines(dropped, numberedLines("dropped", 10));
    const args = (...paths: string[]) => [...baseArgs(world, paths[0]), ...paths.slice(1).flatMap((path) => ["--watch", path]), "--once"];
    expectSuccess(await runCli(args(kept, dropped)));
    await appendFile(dropped, "written after it was dropped\n");
    expectSuccess(await runCli(args(kept)));
    expectSuccess(await runCli(args(kept)));
    expect(linesInS3(world).get("dropped.log")).toEqual(numberedLines("dropped", 10));
  });
});
