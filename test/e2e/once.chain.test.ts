import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce } from "../support/shippedLines.js";
import { baseArgs, cleanEnv, runCli, type World } from "../support/world.js";
import { expectSuccess, numberedLines, writeLines } from "./onceSupport.js";

/** A HOME inside the world that does not exist: no profile, SSO cache or anything else of the host's. */
function emptyHome(world: World): string {
  return join(dirname(world.state), "no-home");
}

/**
 * `--credentials chain` hands the choice to the SDK's default chain (loaded
 * only for this mode). Both ends of the chain against the fakes: keys in the
 * environment win and IMDS is never asked; with none anywhere, the chain
 * ends at the instance profile.
 */
describe("ship-logs --once --credentials chain (e2e)", () => {
  const scenario = useScenario();

  it("keys in the environment come first: shipped with them, no credentials fetched from IMDS", async () => {
    const world = await scenario.startWorld();
    const lines = numberedLines("app", 500);
    await writeLines(join(world.logs, "app.log"), lines);
    const issued = world.imds.currentCredentials();
    const fetchesBefore = world.imds.countCredentialFetches();

    const run = await runCli(
      [...baseArgs(world), "--once", "--credentials", "chain"],
      cleanEnv({
        HOME: emptyHome(world),
        AWS_ACCESS_KEY_ID: issued.accessKeyId,
        AWS_SECRET_ACCESS_KEY: issued.secretAccessKey,
        AWS_SESSION_TOKEN: issued.sessionToken ?? "",
      }),
    );

    expectSuccess(run);
    expectShippedExactlyOnce(world, "app.log", lines);
    expect(world.imds.countCredentialFetches()).toBe(fetchesBefore);
    expect(new Set(world.s3.requests.map((request) => request.accessKeyId))).toEqual(new Set([issued.accessKeyId]));
    await assertNoSecretLeaks(world, [run.stdout, run.stderr]);
  });

  it("no keys in the environment or profiles: the chain ends at the instance profile from fake-imds", async () => {
    const world = await scenario.startWorld();
    const lines = numberedLines("app", 500);
    await writeLines(join(world.logs, "app.log"), lines);

    const run = await runCli([...baseArgs(world), "--once", "--credentials", "chain"], cleanEnv({ HOME: emptyHome(world) }));

    expectSuccess(run);
    expectShippedExactlyOnce(world, "app.log", lines);
    expect(world.imds.countCredentialFetches()).toBeGreaterThan(0);
    await assertNoSecretLeaks(world, [run.stdout, run.stderr]);
  });
});
