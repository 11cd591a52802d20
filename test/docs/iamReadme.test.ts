import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RECORDED_ERROR_CODE, RecordingAwsEndpoint, type RecordedCall } from "./recordingAwsEndpoint.js";

const run = promisify(execFile);
const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));
const README = join(DOCS, "iam/README.md");
/** Debian's awscli (what CI installs); any `aws` on PATH otherwise. */
const AWS = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : "aws";

/** The README's ```sh blocks, in order: the commands an operator runs from an admin machine. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? "");
}

let endpoint: RecordingAwsEndpoint;
let scratch: string;
let calls: RecordedCall[];
let stderr: string;

/**
 * Runs every ```sh block of docs/iam/README.md as one bash script, from docs/
 * (as the README says), with `aws` pointed at a local endpoint that records
 * each call: the CLI parses the arguments, reads the file:// documents and
 * validates the parameters before it sends anything.
 */
beforeAll(async () => {
  endpoint = await RecordingAwsEndpoint.start();
  scratch = await mkdtemp(join(tmpdir(), "ship-logs-iam-readme-"));
  const blocks = shellBlocks(await readFile(README, "utf8"));
  // Never let documentation commands reach the metadata service from a test.
  for (const block of blocks) expect(block).not.toMatch(/169\.254|curl|wget/);
  const script = [`aws() { command ${AWS} --endpoint-url "${endpoint.url}" "$@"; }`, ...blocks].join("\n");
  const result = await run("bash", ["-c", script], {
    cwd: DOCS,
    encoding: "utf8",
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: scratch,
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "not-a-secret",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_MAX_ATTEMPTS: "1",
      AWS_PAGER: "",
    },
  }).catch((error: unknown) => error as { stdout: string; stderr: string });
  calls = endpoint.calls;
  stderr = result.stderr;
});

afterAll(async () => {
  await endpoint.close();
  await rm(scratch, { recursive: true, force: true });
});

function only(action: string, index = 0): RecordedCall {
  const call = calls.filter((c) => c.action === action)[index];
  if (call === undefined) throw new Error(`no ${action} call #${index}; calls: ${calls.map((c) => c.action).join(", ")}`);
  return call;
}

function param(call: RecordedCall, name: string): string {
  const value = call.params.get(name);
  if (value === undefined) throw new Error(`${call.action} has no ${name}; it has ${[...call.params.keys()].join(", ")}`);
  return value;
}

describe("docs/iam/README.md commands", () => {
  test("every command is accepted by the AWS CLI and sent, in the documented order", () => {
    // Each call fails with the endpoint's own error and nothing else: no usage errors, no validation errors.
    const problems = stderr
      .split("\n")
      .filter((line) => line.trim() !== "")
      .filter((line) => !line.includes(`(${RECORDED_ERROR_CODE})`));
    expect(problems).toEqual([]);
    expect(calls.map((call) => `${call.service}:${call.action}`)).toEqual([
      "iam:CreateRole",
      "iam:PutRolePolicy",
      "iam:CreateInstanceProfile",
      "iam:AddRoleToInstanceProfile",
      "iam:GetInstanceProfile",
      "s3:PutBucketLifecycleConfiguration",
      "ec2:RunInstances",
      "ec2:AssociateIamInstanceProfile",
      "ec2:ModifyInstanceMetadataOptions",
      "ec2:ModifyInstanceMetadataOptions",
      "ec2:CreateVpcEndpoint",
      "iam:PutRolePolicy",
    ]);
  });

  test("the role trusts EC2 and its policy is the least-privilege one, placeholders filled in", async () => {
    const trust = JSON.parse(param(only("CreateRole"), "AssumeRolePolicyDocument")) as unknown;
    expect(trust).toEqual(JSON.parse(await readFile(join(DOCS, "iam/trust-policy.json"), "utf8")));
    const policy = JSON.parse(param(only("PutRolePolicy"), "PolicyDocument")) as { Statement: Array<{ Action: string[]; Resource: string[] }> };
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::my-log-bucket/logs/*"] }),
      expect.objectContaining({ Action: ["s3:AbortMultipartUpload"], Resource: ["arn:aws:s3:::my-log-bucket/logs/*"] }),
    ]);
    expect(param(only("AddRoleToInstanceProfile"), "RoleName")).toBe(param(only("CreateInstanceProfile"), "InstanceProfileName"));
  });

  test("the lifecycle rule aborts unfinished multipart uploads under the prefix after a day, on the bucket", () => {
    const call = only("PutBucketLifecycleConfiguration");
    expect(call.service).toBe("s3");
    expect(call.body).toContain("<Filter><Prefix>logs/</Prefix></Filter>");
    expect(call.body).toContain("<Status>Enabled</Status>");
    expect(call.body).toContain("<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>");
    expect(call.body).not.toMatch(/<Expiration>|<Transition>/);
  });

  test("the tighter policy has every placeholder filled in", () => {
    const document = param(only("PutRolePolicy", 1), "PolicyDocument");
    expect(document).not.toMatch(/\b(BUCKET|PREFIX|KMS_KEY_ARN|ACCOUNT_ID|VPCE_ID|REGION)\b/);
    const policy = JSON.parse(document) as { Statement: Array<{ Condition: Record<string, Record<string, string>> }> };
    expect(policy.Statement[0]?.Condition["StringEquals"]?.["aws:SourceVpce"]).toMatch(/^vpce-/);
    expect(policy.Statement[1]?.Condition["StringEquals"]?.["kms:ViaService"]).toBe("s3.eu-west-1.amazonaws.com");
  });

  test("a new instance gets the profile, IMDSv2 only with hop limit 1, and the user data with the bucket filled in", async () => {
    const launch = only("RunInstances");
    expect(param(launch, "IamInstanceProfile.Name")).toBe("ship-logs");
    expect(param(launch, "MetadataOptions.HttpTokens")).toBe("required");
    expect(param(launch, "MetadataOptions.HttpPutResponseHopLimit")).toBe("1");
    const userData = Buffer.from(param(launch, "UserData"), "base64").toString("utf8");
    const original = await readFile(join(DOCS, "ec2-user-data.sh"), "utf8");
    // "$(sed …)" drops the final newline; nothing else may change.
    const rendered = original.replace(/^BUCKET=.*$/m, "BUCKET=my-log-bucket").replace(/^PREFIX=.*$/m, "PREFIX=logs/");
    expect(userData).toBe(rendered.trimEnd());
  });

  test("a running instance gets the profile and IMDSv2 required; hop limit 2 only in the container step", () => {
    expect(param(only("AssociateIamInstanceProfile"), "IamInstanceProfile.Name")).toBe("ship-logs");
    const [hostOptions, containerOptions] = [only("ModifyInstanceMetadataOptions"), only("ModifyInstanceMetadataOptions", 1)];
    expect(param(hostOptions, "HttpTokens")).toBe("required");
    expect(hostOptions.params.has("HttpPutResponseHopLimit")).toBe(false);
    expect(param(containerOptions, "HttpTokens")).toBe("required");
    expect(param(containerOptions, "HttpPutResponseHopLimit")).toBe("2");
  });
});
