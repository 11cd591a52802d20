import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const IAM_DIR = fileURLToPath(new URL("../../docs/iam/", import.meta.url));
const TRUST_POLICY = "trust-policy.json";
const LIFECYCLE = "lifecycle-abort-incomplete-uploads.json";
/**
 * All the S3 actions a role may have: writing objects (PutObject also authorises the multipart
 * upload's Create, UploadPart and Complete) and aborting its own failed multipart uploads.
 */
const S3_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"];

interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  NotResource?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

interface PolicyDocument {
  Version?: string;
  Statement?: Statement[];
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : [value].flat());

async function readPolicy(name: string): Promise<PolicyDocument> {
  return JSON.parse(await readFile(join(IAM_DIR, name), "utf8")) as PolicyDocument;
}

/** Every policy in docs/iam/ that grants the role permissions (all but the trust policy and the lifecycle rule). */
async function permissionPolicies(): Promise<string[]> {
  const names = (await readdir(IAM_DIR)).filter((name) => name.endsWith(".json") && name !== TRUST_POLICY && name !== LIFECYCLE);
  expect(names).toContain("ship-logs-policy.json");
  return names;
}

/**
 * An object ARN under one bucket: `arn:aws:s3:::BUCKET/PREFIX*` (placeholders
 * the README's sed fills in) or `arn:aws:s3:::bucket/*`. Never the bucket
 * itself (that is ListBucket's resource) nor every bucket.
 */
function isPrefixObjectArn(resource: string): boolean {
  return /^arn:aws:s3:::[a-z0-9A-Z_.-]+\/[^*]*\*$/.test(resource) && (resource.endsWith("/*") || resource.endsWith("PREFIX*"));
}

describe("docs/iam/trust-policy.json", () => {
  test("lets only the EC2 service assume the role", async () => {
    const policy = await readPolicy(TRUST_POLICY);
    expect(policy.Version).toBe("2012-10-17");
    expect(policy.Statement).toHaveLength(1);
    const [statement] = policy.Statement ?? [];
    expect(statement?.Effect).toBe("Allow");
    expect(statement?.Principal).toEqual({ Service: "ec2.amazonaws.com" });
    expect(list(statement?.Action)).toEqual(["sts:AssumeRole"]);
    expect(statement?.NotPrincipal).toBeUndefined();
  });
});

describe("docs/iam permission policies", () => {
  test("allow s3:PutObject and s3:AbortMultipartUpload and nothing else on S3: no ListBucket, no GetObject, no wildcards", async () => {
    for (const name of await permissionPolicies()) {
      const policy = await readPolicy(name);
      expect(policy.Version, name).toBe("2012-10-17");
      const statements = policy.Statement ?? [];
      expect(statements.length, name).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(statement.Effect, name).toBe("Allow");
        for (const key of ["NotAction", "NotResource", "Principal", "NotPrincipal"] as const) {
          expect(statement[key], `${name}: ${key}`).toBeUndefined();
        }
        for (const action of list(statement.Action)) {
          expect(action, name).not.toMatch(/\*/);
          if (action.startsWith("s3:")) expect(S3_ACTIONS, name).toContain(action);
        }
      }
      const actions = statements.flatMap((statement) => list(statement.Action));
      for (const action of S3_ACTIONS) expect(actions, name).toContain(action);
    }
  });

  test("scope the S3 actions to objects under one bucket's prefix", async () => {
    for (const name of await permissionPolicies()) {
      const policy = await readPolicy(name);
      for (const statement of policy.Statement ?? []) {
        if (!list(statement.Action).some((action) => action.startsWith("s3:"))) continue;
        const resources = list(statement.Resource);
        expect(resources.length, name).toBeGreaterThan(0);
        for (const resource of resources) expect(isPrefixObjectArn(resource), `${name}: ${resource}`).toBe(true);
      }
    }
  });

  test("the plain policy is exactly PutObject and AbortMultipartUpload on BUCKET/PREFIX*", async () => {
    const policy = await readPolicy("ship-logs-policy.json");
    expect(policy.Statement).toHaveLength(2);
    const [put, abort] = policy.Statement ?? [];
    expect(list(put?.Action)).toEqual(["s3:PutObject"]);
    expect(list(abort?.Action)).toEqual(["s3:AbortMultipartUpload"]);
    for (const statement of [put, abort]) {
      expect(list(statement?.Resource)).toEqual(["arn:aws:s3:::BUCKET/PREFIX*"]);
      expect(statement?.Condition).toBeUndefined();
    }
  });

  test("the SSE-KMS + VPC endpoint example requires the headers and the endpoint, and uses the key only via S3", async () => {
    const policy = await readPolicy("ship-logs-policy-sse-kms-vpce.json");
    const put = policy.Statement?.find((statement) => list(statement.Action).includes("s3:PutObject"));
    expect(put?.Condition?.["StringEquals"]).toMatchObject({
      "s3:x-amz-server-side-encryption": "aws:kms",
      "s3:x-amz-server-side-encryption-aws-kms-key-id": "KMS_KEY_ARN",
      "aws:SourceVpce": "VPCE_ID",
    });
    const kms = policy.Statement?.filter((statement) => list(statement.Action).some((action) => action.startsWith("kms:")));
    expect(kms).toHaveLength(1);
    // Decrypt: S3 reads the encrypted parts back to complete a multipart upload.
    expect(list(kms?.[0]?.Action)).toEqual(["kms:GenerateDataKey", "kms:Decrypt"]);
    expect(list(kms?.[0]?.Resource)).toEqual(["KMS_KEY_ARN"]);
    expect(kms?.[0]?.Condition?.["StringEquals"]).toEqual({ "kms:ViaService": "s3.REGION.amazonaws.com" });
  });

  test("the object-ARN check rejects what it must", () => {
    for (const bad of ["*", "arn:aws:s3:::*", "arn:aws:s3:::bucket", "arn:aws:s3:::bucket*", "arn:aws:s3:::*/logs/*", "arn:aws:s3:::bucket/logs/x"]) {
      expect(isPrefixObjectArn(bad), bad).toBe(false);
    }
    for (const good of ["arn:aws:s3:::BUCKET/PREFIX*", "arn:aws:s3:::my-logs/*", "arn:aws:s3:::my-logs/app/*"]) {
      expect(isPrefixObjectArn(good), good).toBe(true);
    }
  });

  test("the SSE-KMS example also lets the rest of a multipart upload through, which carries no encryption header", async () => {
    const policy = await readPolicy("ship-logs-policy-sse-kms-vpce.json");
    const rest = policy.Statement?.find((statement) => statement.Condition?.["Null"] !== undefined);
    expect(list(rest?.Action)).toEqual(["s3:PutObject", "s3:AbortMultipartUpload"]);
    expect(rest?.Condition?.["Null"]).toEqual({ "s3:x-amz-server-side-encryption": "true" });
    expect(rest?.Condition?.["StringEquals"]).toEqual({ "s3:ResourceAccount": "ACCOUNT_ID", "aws:SourceVpce": "VPCE_ID" });
  });
});

describe("docs/iam/lifecycle-abort-incomplete-uploads.json", () => {
  test("only aborts multipart uploads unfinished after a day, under the prefix: it never expires objects", async () => {
    const lifecycle = JSON.parse(await readFile(join(IAM_DIR, LIFECYCLE), "utf8")) as { Rules?: Array<Record<string, unknown>> };
    expect(lifecycle.Rules).toHaveLength(1);
    const [rule] = lifecycle.Rules ?? [];
    expect(rule).toEqual({
      ID: "ship-logs-abort-incomplete-multipart-uploads",
      Status: "Enabled",
      Filter: { Prefix: "PREFIX" },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
  });
});
