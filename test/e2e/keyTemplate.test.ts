import { writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useScenario } from "../support/scenario.js";
import { BUCKET, baseArgs, linesInS3, runCli } from "../support/world.js";

const IDENTITY_DOCUMENT = "/latest/dynamic/instance-identity/document";
const NAME = String.raw`[0-9a-f]+-\d{15}-\d{15}\.log\.gz`;

function utcParts(date: Date): { yyyy: string; mm: string; dd: string; hh: string } {
  const iso = date.toISOString();
  return { yyyy: iso.slice(0, 4), mm: iso.slice(5, 7), dd: iso.slice(8, 10), hh: iso.slice(11, 13) };
}

describe("--key-template (issue 9), against the real CLI", () => {
  const scenario = useScenario();

  it("fills every token, reading the account id and the instance's region from IMDS", async () => {
    // The bucket is in us-east-1, the instance in ap-south-1.
    const world = await scenario.startWorld({
      imds: { instanceId: "i-0fleet000000000a1", accountId: "210987654321", region: "ap-south-1" },
      s3: { region: "us-east-1" },
    });
    await writeFile(join(world.logs, "app.log"), "one\ntwo\n");
    const before = new Date();
    const run = await runCli([
      ...baseArgs(world),
      "--once",
      "--prefix",
      "logs/",
      // The bucket's region for signing; {region} must still be where the instance runs.
      "--region",
      "us-east-1",
      "--key-template",
      "{prefix}{region}/{account}/{hostname}/{instance}/{yyyy}/{mm}/{dd}/{hh}/{file}",
    ]);
    const after = new Date();
    expect(run.code, run.stderr).toBe(0);
    const keys = world.s3.listObjects(BUCKET).map(({ key }) => key);
    const host = hostname().replace(/[/\\\u0000-\u001f\u007f-\u009f]/g, "_");
    const dirs = [before, after].map((at) => {
      const { yyyy, mm, dd, hh } = utcParts(at);
      return `logs/ap-south-1/210987654321/${host}/i-0fleet000000000a1/${yyyy}/${mm}/${dd}/${hh}/app.log/`;
    });
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(dirs.some((dir) => key?.startsWith(dir)), `${key} under ${dirs.join(" or ")}`).toBe(true);
    expect(key).toMatch(new RegExp(`/${NAME}$`));
    expect(linesInS3(world).get("app.log")).toEqual(["one", "two"]);
    expect(world.imds.countRequests({ method: "GET", path: IDENTITY_DOCUMENT })).toBe(1);
  });

  it.each(["default", "hive"])("asks IMDS for no identity document with --key-layout %s", async (layout) => {
    const world = await scenario.startWorld({ imds: { instanceId: "i-0fleet000000000b2" } });
    await writeFile(join(world.logs, "app.log"), "line\n");
    const run = await runCli([...baseArgs(world), "--once", "--key-layout", layout]);
    expect(run.code, run.stderr).toBe(0);
    const [key] = world.s3.listObjects(BUCKET).map((object) => object.key);
    expect(key).toMatch(
      layout === "hive"
        ? new RegExp(`^dt=\\d{4}-\\d\\d-\\d\\d/instance=i-0fleet000000000b2/file=app\\.log/${NAME}$`)
        : new RegExp(`^i-0fleet000000000b2/\\d{4}-\\d\\d-\\d\\d/app\\.log/${NAME}$`),
    );
    expect(world.imds.countRequests({ path: IDENTITY_DOCUMENT })).toBe(0);
  });

  it.each([
    ["{prefix}{yyyy}/{file}", "expected {instance} or {hostname} in the template, so that hosts of a fleet never share a key"],
    ["{prefix}{instance}/{acount}", "{acount} is not one"],
  ])("refuses %s with one line and exit 2, before touching IMDS or S3", async (template, reason) => {
    const world = await scenario.startWorld();
    await writeFile(join(world.logs, "app.log"), "line\n");
    const run = await runCli([...baseArgs(world), "--once", "--key-template", template]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ship-logs: --key-template: [^\n]+\n$/);
    expect(run.stderr).toContain(reason);
    expect(world.imds.requests).toHaveLength(0);
    expect(world.s3.requests).toHaveLength(0);
  });
});
