import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/check/CheckResult.js";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { LEVEL, logRecords } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { BUCKET, baseArgs, runCli, type RunResult, type World, type WorldOptions } from "../support/world.js";
import { shareWorld, startDaemonAs, unprivileged, type Unprivileged } from "./hostileSupport.js";

/** `STATUS  name  detail[ — fix: …]`, one per check (see formatChecks). */
const CHECK_LINE = /^(OK|WARN|FAIL|SKIP)\s+(\S.*?)\s{2,}(.*)$/;

interface CheckLine {
  status: string;
  name: string;
  text: string;
}

function checkLines(stdout: string): CheckLine[] {
  const lines = stdout.trimEnd().split("\n");
  return lines.map((line) => {
    const match = CHECK_LINE.exec(line);
    if (!match) throw new Error(`not a check line: ${JSON.stringify(line)}\n${stdout}`);
    return { status: match[1] as string, name: (match[2] as string).trim(), text: match[3] as string };
  });
}

function line(lines: readonly CheckLine[], name: string): CheckLine {
  const found = lines.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no "${name}" check in ${JSON.stringify(lines)}`);
  return found;
}

describe("ship-logs check (e2e, real CLI, issue 5)", () => {
  const scenario = useScenario();

  async function worldWithLog(options: WorldOptions = {}): Promise<World> {
    const world = await scenario.startWorld(options);
    await writeFile(join(world.logs, "app.log"), "one\n");
    return world;
  }

  async function check(w: World, extra: readonly string[] = []): Promise<RunResult> {
    return runCli(["check", ...baseArgs(w), ...extra]);
  }

  it("passes against the fakes: exit 0, one OK line per check, the probe object written under the prefix", async () => {
    const w = await worldWithLog();
    const result = await check(w, ["--prefix", "logs/"]);
    expect(result.code).toBe(0);
    // stdout is the report; stderr holds only the shipper's usual info lines.
    expect(logRecords(result.stderr).filter((r) => r.level >= LEVEL.warn)).toEqual([]);
    const lines = checkLines(result.stdout);
    expect(lines.map((l) => l.name)).toEqual(["imds", "role", "credentials", "region", `watch ${join(w.logs, "*.log")}`, "state dir", "upload"]);
    expect(lines.filter((l) => l.status !== "OK"), result.stdout).toEqual([]);
    expect(line(lines, "imds").text).toContain(w.imds.instanceId);
    expect(line(lines, "role").text).toContain("ship-logs-role");
    expect(line(lines, "region").text).toMatch(/^eu-west-1 \(from IMDS\)/);
    expect(line(lines, "upload").text).toContain(`s3://${BUCKET}/logs/ship-logs-check/${w.imds.instanceId}.txt`);
    expect(w.s3.listObjects(BUCKET).map((o) => o.key)).toEqual([`logs/ship-logs-check/${w.imds.instanceId}.txt`]);
    assertImdsV2Only(w.imds);
    await assertNoSecretLeaks(w, [result.stdout, result.stderr]);
  });

  it("fails without an instance profile: role and credentials FAIL with the associate-iam-instance-profile fix, upload skipped, exit 1", async () => {
    const w = await worldWithLog({ imds: { role: null } });
    const result = await check(w);
    expect(result.code).toBe(1);
    const lines = checkLines(result.stdout);
    expect(line(lines, "imds").status).toBe("OK");
    const role = line(lines, "role");
    expect(role.status).toBe("FAIL");
    expect(role.text).toMatch(/404/);
    expect(role.text).toMatch(/— fix: no role attached: aws ec2 associate-iam-instance-profile --instance-id ID --iam-instance-profile Name=ship-logs/);
    expect(line(lines, "credentials").status).toBe("FAIL");
    expect(line(lines, "credentials").text).toContain("fix: attach an instance profile");
    expect(line(lines, "upload").status).toBe("SKIP");
    // Every check still ran: one run lists every problem.
    expect(line(lines, "state dir").status).toBe("OK");
    expect(w.s3.requests.filter((r) => r.operation === "PutObject")).toEqual([]);
    assertImdsV2Only(w.imds);
  });

  it("host clock ahead of AWS's by more than the keys' remaining life: the credentials line WARNs about the clock (not the instance profile), the probe passes, exit 0", async () => {
    // 20 min fast, keys with 18 min left by AWS's clock: by the host's they expired 2 min ago.
    const awsNow = (): number => Date.now() - 20 * 60_000;
    const w = await worldWithLog({ s3: { now: awsNow }, imds: { now: awsNow, credentialLifetimeSeconds: 18 * 60 } });
    const result = await check(w);
    expect(result.code, result.stdout).toBe(0);
    const lines = checkLines(result.stdout);
    expect(lines.filter((l) => l.status !== "OK").map((l) => l.name), result.stdout).toEqual(["credentials"]);
    const credentials = line(lines, "credentials");
    expect(credentials.status).toBe("WARN");
    expect(credentials.text).toMatch(/^access key …\S{4}, expire \S+: 1\d\d s before this host's clock says it is now; S3 took them \(its clock is 1[12]\d\d s behind this host's\): this host's clock is ahead — fix: set the host's clock right: enable NTP/);
    expect(credentials.text).not.toContain("instance profile");
    expect(line(lines, "upload").status).toBe("OK");
    await assertNoSecretLeaks(w, [result.stdout, result.stderr]);
  });

  it("fails when the bucket denies PutObject on the prefix: the fix names the exact ARN to allow", async () => {
    const w = await worldWithLog();
    w.s3.injectFault({ kind: "deny", keyPrefix: "logs/" });
    const result = await check(w, ["--prefix", "logs/"]);
    expect(result.code).toBe(1);
    const upload = line(checkLines(result.stdout), "upload");
    expect(upload.status).toBe("FAIL");
    expect(upload.text).toContain(`PutObject s3://${BUCKET}/logs/ship-logs-check/`);
    expect(upload.text).toMatch(/AccessDenied \(HTTP 403\)/);
    expect(upload.text).toContain(`fix: allow s3:PutObject on arn:aws:s3:::${BUCKET}/logs/* in the instance role's policy`);
    // The other checks are unaffected.
    expect(checkLines(result.stdout).filter((l) => l.status !== "OK").map((l) => l.name)).toEqual(["upload"]);
    await assertNoSecretLeaks(w, [result.stdout, result.stderr]);
  });

  it("fails when a glob matches nothing, and says which glob", async () => {
    const w = await worldWithLog();
    const missing = join(w.logs, "nothing-*.txt");
    const result = await check(w, ["--watch", missing]);
    expect(result.code).toBe(1);
    const lines = checkLines(result.stdout);
    // --watch is repeatable: the base glob matches, the extra one does not.
    expect(line(lines, `watch ${join(w.logs, "*.log")}`).status).toBe("OK");
    const glob = line(lines, `watch ${missing}`);
    expect(glob.status).toBe("FAIL");
    expect(glob.text).toMatch(/^matches no file — fix: check the glob/);
    expect(lines.filter((l) => l.status === "FAIL").map((l) => l.name)).toEqual([`watch ${missing}`]);
  });

  it("--json prints every check as a parseable array with the same verdict and exit code", async () => {
    const w = await worldWithLog();
    w.s3.injectFault({ kind: "deny" });
    const result = await check(w, ["--json"]);
    expect(result.code).toBe(1);
    const results = JSON.parse(result.stdout) as CheckResult[];
    expect(results.map((r) => r.name)).toEqual(["imds", "role", "credentials", "region", `watch ${join(w.logs, "*.log")}`, "state dir", "upload"]);
    for (const r of results) {
      expect(["ok", "fail", "skip"]).toContain(r.status);
      expect(typeof r.detail).toBe("string");
    }
    const upload = results.find((r) => r.name === "upload");
    expect(upload).toMatchObject({ status: "fail", fix: expect.stringContaining(`arn:aws:s3:::${BUCKET}/*`) });
    expect(results.filter((r) => r.status !== "ok").map((r) => r.name)).toEqual(["upload"]);

    w.s3.clearFaults();
    const passing = await check(w, ["--json"]);
    expect(passing.code).toBe(0);
    expect((JSON.parse(passing.stdout) as CheckResult[]).every((r) => r.status === "ok")).toBe(true);
  });

  it("fails the state dir on a state file of a later release, which the shipper would refuse", async () => {
    const w = await worldWithLog();
    await mkdir(w.state, { recursive: true, mode: 0o700 });
    await writeFile(join(w.state, "state.json"), JSON.stringify({ version: 2, checksum: "", files: [] }));
    const result = await check(w);
    expect(result.code).toBe(1);
    const state = line(checkLines(result.stdout), "state dir");
    expect(state.status).toBe("FAIL");
    expect(state.text).toMatch(/was written by a newer ship-logs \(state version 2; this release reads 1\) — fix: run that release/);
  });

  it("with --credentials chain, no instance profile is no failure: the role check is skipped", async () => {
    const w = await worldWithLog({ imds: { role: null } });
    const result = await check(w, ["--credentials", "chain"]);
    expect(line(checkLines(result.stdout), "role")).toMatchObject({ status: "SKIP", text: "--credentials chain: no instance profile needed" });
  });

  it("the role's trust policy refuses EC2 (AssumeRoleUnauthorizedAccess): the credentials fix is the trust policy, not an instance profile, which is attached", async () => {
    const w = await worldWithLog();
    w.imds.refuseRoleCredentials("AssumeRoleUnauthorizedAccess");
    const result = await check(w);
    expect(result.code).toBe(1);
    const lines = checkLines(result.stdout);
    expect(line(lines, "role").status).toBe("OK");
    const credentials = line(lines, "credentials");
    expect(credentials.status).toBe("FAIL");
    expect(credentials.text).toMatch(/— fix: the instance profile is attached, but EC2 may not assume its role: the role's trust policy must allow sts:AssumeRole to the service ec2\.amazonaws\.com/);
    expect(credentials.text).not.toContain("attach an instance profile");
  });

  it("IMDS turned off (403): the credentials fix points at the imds line, not at an instance profile", async () => {
    const w = await worldWithLog();
    w.imds.failWith(403);
    const result = await check(w);
    const lines = checkLines(result.stdout);
    expect(line(lines, "imds").text).toMatch(/\(403\).*— fix: aws ec2 modify-instance-metadata-options --instance-id ID --http-endpoint enabled/);
    const credentials = line(lines, "credentials");
    expect(credentials.status).toBe("FAIL");
    expect(credentials.text).toMatch(/— fix: IMDS must answer first \(see the imds line\): aws ec2 modify-instance-metadata-options .*--http-endpoint enabled/);
    expect(credentials.text).not.toContain("attach an instance profile");
  });

  it("a token PUT whose answer never comes back (hop limit 1, in a container): the fix is the hop limit, on both lines", async () => {
    const w = await worldWithLog();
    w.imds.stallTokenPut();
    const result = await check(w);
    const lines = checkLines(result.stdout);
    const imds = line(lines, "imds");
    expect(imds.status).toBe("FAIL");
    expect(imds.text).toMatch(/— fix: .*--http-put-response-hop-limit 2/);
    expect(imds.text).not.toContain("--http-tokens required");
    const credentials = line(lines, "credentials");
    expect(credentials.text).toMatch(/— fix: IMDS must answer first \(see the imds line\): .*--http-put-response-hop-limit 2/);
    expect(credentials.text).not.toContain("attach an instance profile");
  }, 120_000);

  it.each([
    ["answers HTTP 500", "500"],
    ["serves a document without keys", "no-keys"],
  ] as const)("IMDS lists the role but %s for its credentials: the fix is IMDS failing, not an instance profile, which is attached", async (_, mode) => {
    const w = await worldWithLog();
    const imds = await roleDocumentImds(mode);
    try {
      const result = await runCli(["check", ...baseArgs(w).map((arg) => (arg === w.imds.endpoint ? imds.endpoint : arg))]);
      expect(result.code).toBe(1);
      const lines = checkLines(result.stdout);
      expect(line(lines, "imds").status).toBe("OK");
      expect(line(lines, "role").status).toBe("OK");
      const credentials = line(lines, "credentials");
      expect(credentials.status).toBe("FAIL");
      expect(credentials.text).toMatch(mode === "500" ? /answered HTTP 500 — fix: / : /a credentials document without AccessKeyId, SecretAccessKey, Token and Expiration — fix: /);
      expect(credentials.text).toMatch(/— fix: IMDS is failing or answering garbage, which no setting or instance profile fixes: run check again in a minute/);
      expect(credentials.text).not.toContain("attach an instance profile");
    } finally {
      await imds.close();
    }
  }, 60_000);

  it.runIf(unprivileged !== undefined)("a glob whose only directory cannot be listed: the fix is the directory's group, as README and operations.md say", async () => {
    const user = unprivileged as Unprivileged;
    const w = await worldWithLog();
    await shareWorld(w, user);
    await mkdir(join(w.logs, "closed"), { mode: 0o700 });
    await writeFile(join(w.logs, "closed", "a.log"), "a\n");
    const pattern = join(w.logs, "closed", "*.log");
    const run = startDaemonAs(user, ["check", ...baseArgs(w, pattern)]);
    const result = await run.stop("SIGCONT");
    const glob = line(checkLines(result.stdout), `watch ${pattern}`);
    expect(glob.status).toBe("FAIL");
    expect(glob.text).toMatch(/matches no file \(.*EACCES\) — fix: give the service access to the directory: SupplementaryGroups= with its group \(e\.g\. SupplementaryGroups=adm\)/);
  });

  it.runIf(unprivileged !== undefined)("fails a glob when a directory it needs cannot be listed, though other files match", async () => {
    const user = unprivileged as Unprivileged;
    const w = await worldWithLog();
    await shareWorld(w, user);
    await mkdir(join(w.logs, "open"));
    await writeFile(join(w.logs, "open", "a.log"), "a\n");
    await mkdir(join(w.logs, "closed"), { mode: 0o700 });
    const pattern = join(w.logs, "*", "*.log");
    const run = startDaemonAs(user, ["check", ...baseArgs(w, pattern)]);
    // SIGCONT changes nothing for a running process: stop() just waits for check to end.
    const result = await run.stop("SIGCONT");
    const glob = line(checkLines(result.stdout), `watch ${pattern}`);
    expect(glob.status).toBe("FAIL");
    expect(glob.text).toMatch(new RegExp(`^cannot list ${join(w.logs, "closed")}: EACCES — fix: give the service access to the directory`));
  });
});

/**
 * An IMDSv2 that answers everything but the role's credentials document: that
 * one is an HTTP 500, or a document with Code Success and no keys.
 */
async function roleDocumentImds(mode: "500" | "no-keys"): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    request.resume();
    const answers: Record<string, string> = {
      "/latest/meta-data/instance-id": "i-0123456789abcdef0",
      "/latest/meta-data/placement/region": "us-east-1",
      "/latest/meta-data/iam/security-credentials/": "ship-logs",
    };
    if (request.method === "PUT" && request.url === "/latest/api/token") return void response.writeHead(200, { "x-aws-ec2-metadata-token-ttl-seconds": "21600" }).end("token");
    const answer = request.url === undefined ? undefined : answers[request.url];
    if (answer !== undefined) return void response.writeHead(200).end(answer);
    if (request.url === "/latest/meta-data/iam/security-credentials/ship-logs") {
      if (mode === "500") return void response.writeHead(500).end("oops");
      return void response.writeHead(200).end(JSON.stringify({ Code: "Success", LastUpdated: new Date().toISOString(), Type: "AWS-HMAC" }));
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
