import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hasTool } from "../../support/systemTool.js";
import { FakeImds } from "../../../src/fakes/imds/FakeImds.js";

const execFileAsync = promisify(execFile);

/** CI installs Debian's awscli at /usr/bin/aws; elsewhere take the one on PATH. */
const AWS = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : hasTool("aws", "apt-get install awscli") ? "aws" : undefined;

/** The environment from the research appendix: IMDS is last in botocore's chain, so clear all before it. */
function cliEnvironment(imdsEndpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("AWS_")) env[name] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    // Older botocore (Debian's awscli 2.9) appends "latest/..." to the endpoint verbatim and rejects
    // "http://127.0.0.1:PORTlatest/api/token"; newer botocore adds the slash itself. Give it one.
    AWS_EC2_METADATA_SERVICE_ENDPOINT: `${imdsEndpoint}/`,
    AWS_EC2_METADATA_V1_DISABLED: "true",
  };
}

/** A stand-in S3 that records request headers and accepts everything. */
async function startCapturingS3(seen: IncomingHttpHeaders[]): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { ETag: '"d41d8cd98f00b204e9800998ecf8427e"', "Content-Length": "0" });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("no address");
  return { server, endpoint: `http://127.0.0.1:${address.port}` };
}

describe("fake-imds with the AWS CLI (botocore)", () => {
  let fake: FakeImds;
  let s3: { server: Server; endpoint: string };
  let workDir: string;
  const s3Requests: IncomingHttpHeaders[] = [];

  beforeEach(async () => {
    fake = await FakeImds.start();
    s3 = await startCapturingS3(s3Requests);
    workDir = await mkdtemp(join(tmpdir(), "fake-imds-awscli-"));
  });

  afterEach(async () => {
    await fake.close();
    await new Promise((resolve) => s3.server.close(resolve));
    await rm(workDir, { recursive: true, force: true });
  });

  // `aws configure export-credentials` exists only in CLI v2 (Debian ships v1), so prove botocore
  // fetched from IMDS by the signature of a real S3 request instead.
  it.runIf(AWS !== undefined)("signs an S3 request with the credentials it fetched over IMDSv2", async () => {
    const aws = AWS ?? "aws";
    const body = join(workDir, "probe.txt");
    await writeFile(body, "hello\n");
    await execFileAsync(
      aws,
      ["s3api", "put-object", "--endpoint-url", s3.endpoint, "--region", "us-east-1", "--bucket", "logs", "--key", "probe", "--body", body],
      { env: cliEnvironment(fake.endpoint), timeout: 20_000 },
    );

    const current = fake.currentCredentials();
    expect(s3Requests).toHaveLength(1);
    expect(s3Requests[0]?.authorization).toContain(`Credential=${current.accessKeyId}/`);
    expect(s3Requests[0]?.["x-amz-security-token"]).toBe(current.sessionToken);

    expect(fake.requests.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: "PUT", path: "/latest/api/token", status: 200 },
      { method: "GET", path: "/latest/meta-data/iam/security-credentials/", status: 200 },
      { method: "GET", path: "/latest/meta-data/iam/security-credentials/ship-logs-role", status: 200 },
    ]);
    for (const record of fake.requests.slice(1)) expect(record.tokenValid).toBe(true);
  }, 30_000);
});
