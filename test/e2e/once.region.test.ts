import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce } from "../support/shippedLines.js";
import { BUCKET, baseArgs, cleanEnv, runCli, type World } from "../support/world.js";
import { expectSuccess, lastLine, numberedLines, writeLines } from "./onceSupport.js";

const IMDS_REGION = "ap-southeast-2";
const OTHER_REGION = "eu-central-1";
const REGION_PATH = "/latest/meta-data/placement/region";

/**
 * The signing region. The test S3 is started with `region`, so it answers any request whose
 * SigV4 scope names another region with AuthorizationHeaderMalformed, as S3 does: a stored
 * object proves the scope named that region.
 */
describe("ship-logs --once: the signing region (e2e)", () => {
  const scenario = useScenario();
  const lines = numberedLines("app", 200);

  /** fake-imds in IMDS_REGION, an S3 that only accepts `s3Region`, one log file. */
  async function regionWorld(s3Region: string): Promise<World> {
    const w = await scenario.startWorld({ imds: { region: IMDS_REGION }, s3: { region: s3Region } });
    await writeLines(join(w.logs, "app.log"), lines);
    return w;
  }

  it("comes from IMDS placement/region when neither --region nor AWS_REGION is given", async () => {
    const world = await regionWorld(IMDS_REGION);

    const run = await runCli([...baseArgs(world), "--once"]);

    expectSuccess(run);
    expectShippedExactlyOnce(world, "app.log", lines);
    expect(world.imds.countRequests({ method: "GET", path: REGION_PATH, status: 200 })).toBeGreaterThan(0);
  });

  it("is not IMDS's when S3 wants another: the request is refused and --once says so (the check can fail)", async () => {
    const world = await regionWorld(OTHER_REGION);

    const run = await runCli([...baseArgs(world), "--once"]);

    expect(run.code).toBe(1);
    expect(lastLine(run.stderr)).toMatch(/^ship-logs: could not ship everything: .*AuthorizationHeaderMalformed/);
    expect(world.s3.rejected("AuthorizationHeaderMalformed").length).toBeGreaterThan(0);
    expect(world.s3.listObjects(BUCKET)).toEqual([]);
  });

  it("--region wins over IMDS, and IMDS is not asked", async () => {
    const world = await regionWorld(OTHER_REGION);

    const run = await runCli([...baseArgs(world), "--once", "--region", OTHER_REGION]);

    expectSuccess(run);
    expectShippedExactlyOnce(world, "app.log", lines);
    expect(world.imds.countRequests({ path: REGION_PATH })).toBe(0);
  });

  it("AWS_REGION wins over IMDS", async () => {
    const world = await regionWorld(OTHER_REGION);

    const run = await runCli([...baseArgs(world), "--once"], cleanEnv({ AWS_REGION: OTHER_REGION }));

    expectSuccess(run);
    expectShippedExactlyOnce(world, "app.log", lines);
    expect(world.imds.countRequests({ path: REGION_PATH })).toBe(0);
  });

  it("--region wins over AWS_REGION", async () => {
    const world = await regionWorld(OTHER_REGION);

    const run = await runCli([...baseArgs(world), "--once", "--region", OTHER_REGION], cleanEnv({ AWS_REGION: IMDS_REGION }));

    expectSuccess(run);
    expectShippedExactlyOnce(world, "app.log", lines);
  });
});
