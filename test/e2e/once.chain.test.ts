import { chmod, mkdir, writeFile } from "node:fs/promises";
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

  it("at debug level, neither a failing credential_process's stderr nor a password in AWS_ENDPOINT_URL_S3 reaches the log", async () => {
    const world = await scenario.startWorld();
    await writeLines(join(world.logs, "app.log"), numberedLines("app", 10));
    const home = emptyHome(world);
    await mkdir(home, { recursive: true });
    // A helper that fails after printing its keys on stderr: Node's exec error carries them.
    const helper = join(home, "credential-helper.sh");
    await writeFile(helper, '#!/bin/sh\necho \'{"Version":1,"AccessKeyId":"ASIAHELPER","SecretAccessKey":"helper-secret-5ecret"}\' >&2\nexit 3\n');
    await chmod(helper, 0o755);
    const config = join(home, "aws-config");
    await writeFile(config, `[default]\ncredential_process = ${helper}\n`);

    const run = await runCli(
      [...baseArgs(world).filter((arg, i, args) => arg !== "--endpoint" && args[i - 1] !== "--endpoint"), "--once", "--credentials", "chain", "--log-level", "debug"],
      cleanEnv({ HOME: home, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(home, "none"), AWS_ENDPOINT_URL_S3: "http://ship:endpoint-pa55word@127.0.0.1:1" }),
    );

    expect(run.code).toBe(1);
    // The SDK did log both: the helper's failure and the endpoint it resolved.
    expect(run.stderr).toMatch(/Command failed/);
    expect(run.stderr).toMatch(/<user and password hidden>@127\.0\.0\.1:1/);
    expect(run.stderr).not.toContain("helper-secret-5ecret");
    expect(run.stderr).not.toContain("endpoint-pa55word");
  });
});
