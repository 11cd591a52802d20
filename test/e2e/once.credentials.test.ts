import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CredentialAuthority } from "../../src/fakes/CredentialAuthority.js";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce } from "../support/shippedLines.js";
import { BUCKET, baseArgs, runCli, startWorld } from "../support/world.js";
import { checkpointOf, expectSuccess, lastLine, numberedLines, readState, withS3, writeLines } from "./onceSupport.js";

/**
 * Credentials end to end: a key the test S3 refuses makes `--once` fail (so a test of shipping can
 * fail at all), loses nothing, and no secret fake-imds issued ever shows in output or state.
 */
describe("ship-logs --once: credentials (e2e)", () => {
  const scenario = useScenario();

  it("a key S3 does not know: exit 1 with a clear line, nothing stored, checkpoint not moved; with a good key the next run ships all once", async () => {
    // S3 answers for these keys as for deleted ones (InvalidAccessKeyId); fake-imds keeps serving them until rotated.
    const unknown = new Set<string>();
    const base = await startWorld();
    const authority: CredentialAuthority = { lookup: (id) => (unknown.has(id) ? undefined : base.imds.lookup(id)) };
    const world = scenario.adopt(await withS3(base, { authority }));
    unknown.add(world.imds.currentCredentials().accessKeyId);
    const path = join(world.logs, "app.log");
    const lines = numberedLines("app", 1_000);
    await writeLines(path, lines);

    // At trace level: the failing path must not leak the refused secret either.
    const failed = await runCli([...baseArgs(world), "--once", "--log-level", "trace"]);

    expect(failed.code).toBe(1);
    expect(lastLine(failed.stderr)).toMatch(/^ship-logs: could not ship everything: .*app\.log.*InvalidAccessKeyId/);
    expect(failed.stderr).not.toMatch(/^\s+at /m);
    expect(world.s3.rejected("InvalidAccessKeyId").length).toBeGreaterThan(0);
    expect(world.s3.listObjects(BUCKET)).toEqual([]);
    const recorded = checkpointOf(await readState(world), path);
    expect(recorded?.offset ?? 0, "checkpoint offset").toBe(0);
    expect(recorded?.pending.length, "upload intents recorded before the refused PUT").toBeGreaterThan(0);
    await assertNoSecretLeaks(world, [failed.stdout, failed.stderr]);

    world.imds.rotateCredentials();
    const good = await runCli([...baseArgs(world), "--once", "--log-level", "trace"]);

    expectSuccess(good);
    expectShippedExactlyOnce(world, "app.log", lines);
    // The intents the failed run recorded were replayed under their recorded keys.
    const stored = world.s3.listObjects(BUCKET).map(({ key }) => key);
    for (const intent of recorded?.pending ?? []) expect(stored).toContain(intent.key);
    await assertNoSecretLeaks(world, [failed.stdout, failed.stderr, good.stdout, good.stderr]);
    assertImdsV2Only(world.imds);
  });

  it("no secret or session token from fake-imds appears in stdout, stderr at trace level, or the state directory", async () => {
    const world = await scenario.startWorld();
    await writeLines(join(world.logs, "app.log"), numberedLines("app", 2_000));
    await writeLines(join(world.logs, "web.log"), numberedLines("web", 2_000));

    const run = await runCli([...baseArgs(world), "--once", "--log-level", "trace", "--batch-max-bytes", "32KiB"]);

    expectSuccess(run);
    expect(world.s3.listObjects(BUCKET).length).toBeGreaterThan(2);
    // Trace logging ran (otherwise "no secret in stderr" proves little).
    expect(run.stderr.split("\n").length).toBeGreaterThan(10);
    await assertNoSecretLeaks(world, [run.stdout, run.stderr]);
  });

  it("a role EC2 cannot assume (its trust policy): exit 1 with the code EC2 gave and what to fix", async () => {
    const world = await scenario.startWorld();
    await writeLines(join(world.logs, "app.log"), numberedLines("app", 3));
    world.imds.refuseRoleCredentials();
    const failed = await runCli([...baseArgs(world), "--once"]);
    expect(failed.code).toBe(1);
    expect(lastLine(failed.stderr)).toMatch(/its document says AssumeRoleUnauthorizedAccess: the role's trust policy must let ec2\.amazonaws\.com assume it/);
    expect(world.s3.listObjects(BUCKET)).toEqual([]);
  }, 30_000);
});
