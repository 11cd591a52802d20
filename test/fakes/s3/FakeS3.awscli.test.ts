import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { IssuedCredential } from "../../../src/fakes/CredentialAuthority.js";
import type { FakeS3 } from "../../../src/fakes/s3/FakeS3.js";
import { hasTool } from "../../support/systemTool.js";
import { startFake } from "./fixtures.js";

const execFileAsync = promisify(execFile);
const AWS = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : "aws";
const HAS_AWS = AWS === "/usr/bin/aws" || hasTool("aws", "apt-get install awscli");

/**
 * botocore signs differently from the JS SDK (its own canonicalisation, Expect: 100-continue,
 * `encoding-type=url` listings), so it is the independent check that the verifier follows SigV4
 * rather than the JS signer's quirks. Without `aws` these tests are skipped (test/support/systemTool.ts).
 */
describe.runIf(HAS_AWS)("the awscli (botocore) against FakeS3", () => {
  let dir: string;
  const body = Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x80, 0x0d, 0x0a]), gzipSync(Buffer.from("a line\n".repeat(100)))]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fake-s3-awscli-"));
    await writeFile(join(dir, "payload.bin"), body);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // Async on purpose: the server runs in this process, so a synchronous exec would deadlock it.
  async function aws(fake: FakeS3, cred: IssuedCredential, ...args: string[]): Promise<string> {
    // Nothing from the developer's own AWS setup (profiles, endpoints, regions) may leak in.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_")));
    const env = {
      ...inherited,
      AWS_ACCESS_KEY_ID: cred.accessKeyId,
      AWS_SECRET_ACCESS_KEY: cred.secretAccessKey,
      AWS_SESSION_TOKEN: cred.sessionToken,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const { stdout } = await execFileAsync(AWS, [...args, "--endpoint-url", fake.endpoint, "--region", "us-east-1"], {
      env,
      encoding: "utf8",
    });
    return stdout;
  }

  test("s3api put-object and s3 cp upload byte-exact objects that s3 ls lists", async () => {
    const { fake, cred } = await startFake();
    const file = join(dir, "payload.bin");

    const put = JSON.parse(await aws(fake, cred, "s3api", "put-object", "--bucket", "logs", "--key", "cli/put one+two.bin", "--body", file)) as {
      ETag: string;
    };
    await aws(fake, cred, "s3", "cp", file, "s3://logs/cli/copied.bin");

    for (const key of ["cli/put one+two.bin", "cli/copied.bin"]) {
      const stored = fake.getObject("logs", key);
      expect(stored?.body.equals(body), key).toBe(true);
      expect(stored?.accessKeyId).toBe(cred.accessKeyId);
    }
    expect(put.ETag).toBe(fake.getObject("logs", "cli/put one+two.bin")?.etag);
    const listing = await aws(fake, cred, "s3", "ls", "s3://logs/cli/");
    expect(listing).toContain("put one+two.bin");
    expect(listing).toContain("copied.bin");
  });

  test("s3 cp of a 20 MiB file goes up as a multipart upload and arrives byte-exact", async () => {
    const { fake, cred } = await startFake();
    const big = join(dir, "big.bin");
    const content = Buffer.concat([randomBytes(20 * 1024 * 1024), body]);
    await writeFile(big, content);

    await aws(fake, cred, "s3", "cp", big, "s3://logs/cli/big.bin");

    const stored = fake.getObject("logs", "cli/big.bin");
    expect(stored?.body.equals(content)).toBe(true);
    expect(stored?.etag).toMatch(/-3"$/);
    const operations = fake.requests.map((request) => request.operation);
    expect(operations.filter((operation) => operation === "UploadPart")).toHaveLength(3);
    expect(operations).toContain("CompleteMultipartUpload");
    expect(fake.multipartUploads()).toEqual([]);
  });

  test("a wrong secret makes the cli fail with SignatureDoesNotMatch", async () => {
    const { fake, cred } = await startFake();
    const failure = await aws(fake, { ...cred, secretAccessKey: "wrong" }, "s3api", "put-object", "--bucket", "logs", "--key", "k").then(
      () => undefined,
      (error: unknown) => error as { stderr: string },
    );
    expect(failure?.stderr).toContain("SignatureDoesNotMatch");
    expect(fake.getObject("logs", "k")).toBeUndefined();
  });
});
