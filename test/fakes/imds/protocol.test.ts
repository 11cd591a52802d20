import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeImds } from "../../../src/fakes/imds/FakeImds.js";
import { IMDS_TIMESTAMP, getToken, imdsGet, imdsText, putToken } from "./imdsHttp.js";

const CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/ship-logs-role";

describe("fake-imds protocol", () => {
  let fake: FakeImds;

  beforeEach(async () => {
    fake = await FakeImds.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  describe("token PUT", () => {
    it("grants a token as text/plain and echoes the TTL header", async () => {
      const response = await putToken(fake.endpoint, "21600");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain");
      expect(response.headers.get("x-aws-ec2-metadata-token-ttl-seconds")).toBe("21600");
      expect((await response.text()).length).toBeGreaterThan(20);
    });

    it("accepts the bounds 1 and 21600", async () => {
      expect((await putToken(fake.endpoint, "1")).status).toBe(200);
      expect((await putToken(fake.endpoint, "21600")).status).toBe(200);
    });

    it.each([
      ["missing", null],
      ["zero", "0"],
      ["above six hours", "21601"],
      ["not a number", "abc"],
      ["negative", "-5"],
      ["fractional", "1.5"],
    ])("answers 400 when the TTL is %s", async (_label, ttl) => {
      const response = await putToken(fake.endpoint, ttl);
      expect(response.status).toBe(400);
      expect(await response.text()).toBe("400 - Bad Request");
    });

    it("answers 403 to a PUT carrying X-Forwarded-For", async () => {
      const response = await putToken(fake.endpoint, "60", { "X-Forwarded-For": "10.1.2.3" });
      expect(response.status).toBe(403);
    });

    it("answers 403 to a PUT on a versioned token path", async () => {
      const response = await putToken(fake.endpoint, "60", {}, "/2021-03-23/api/token");
      expect(response.status).toBe(403);
    });

    it.each(["GET", "POST", "DELETE"])("answers 405 to %s on the token path", async (method) => {
      const response = await fetch(`${fake.endpoint}/latest/api/token`, {
        method,
        headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("PUT");
    });

    it("keeps many tokens alive at once", async () => {
      const tokens = await Promise.all([1, 2, 3].map(() => getToken(fake.endpoint)));
      expect(new Set(tokens).size).toBe(3);
      for (const token of tokens) {
        expect(await imdsText(fake.endpoint, "/latest/meta-data/instance-id", token)).toBe("i-0123456789abcdef0");
      }
    });
  });

  describe("token checks on reads", () => {
    it("answers 401 without a token and never falls back to IMDSv1", async () => {
      const response = await imdsGet(fake.endpoint, CREDENTIALS_PATH);
      expect(response.status).toBe(401);
      expect(await response.text()).toBe("401 - Unauthorized");
    });

    it("answers 401 to a wrong token", async () => {
      expect((await imdsGet(fake.endpoint, "/latest/meta-data/instance-id", "not-a-token")).status).toBe(401);
    });

    it("answers 405 to a method other than GET/HEAD on metadata", async () => {
      const token = await getToken(fake.endpoint);
      expect((await imdsGet(fake.endpoint, "/latest/meta-data/instance-id", token, "POST")).status).toBe(405);
    });

    it("serves HEAD with the GET headers and no body", async () => {
      const token = await getToken(fake.endpoint);
      const response = await imdsGet(fake.endpoint, "/latest/meta-data/instance-id", token, "HEAD");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-length")).toBe(String("i-0123456789abcdef0".length));
      expect(await response.text()).toBe("");
    });
  });

  it("answers 401 once a token's TTL has elapsed (granted TTL capped by maxTokenTtlSeconds)", async () => {
    const shortLived = await FakeImds.start({ maxTokenTtlSeconds: 1 });
    try {
      const response = await putToken(shortLived.endpoint, "21600");
      expect(response.headers.get("x-aws-ec2-metadata-token-ttl-seconds")).toBe("1");
      const token = await response.text();
      expect((await imdsGet(shortLived.endpoint, "/latest/meta-data/instance-id", token)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await imdsGet(shortLived.endpoint, "/latest/meta-data/instance-id", token)).status).toBe(401);
    } finally {
      await shortLived.close();
    }
  });

  describe("documents", () => {
    let token: string;

    beforeEach(async () => {
      token = await getToken(fake.endpoint);
    });

    it("sends the headers of a real EC2 answer", async () => {
      const response = await imdsGet(fake.endpoint, "/latest/meta-data/instance-id", token);
      expect(response.headers.get("server")).toBe("EC2ws");
      expect(response.headers.get("accept-ranges")).toBe("none");
      expect(response.headers.get("content-type")).toBe("text/plain");
      expect(Number.isNaN(Date.parse(response.headers.get("last-modified") ?? ""))).toBe(false);
    });

    it("serves instance id, region and availability zone (with and without trailing slash)", async () => {
      expect(await imdsText(fake.endpoint, "/latest/meta-data/instance-id", token)).toBe("i-0123456789abcdef0");
      expect(await imdsText(fake.endpoint, "/latest/meta-data/placement/region", token)).toBe("us-east-1");
      expect(await imdsText(fake.endpoint, "/latest/meta-data/placement/availability-zone", token)).toBe("us-east-1a");
      expect(await imdsText(fake.endpoint, "/latest/meta-data/placement/availability-zone/", token)).toBe("us-east-1a");
    });

    it("collapses duplicate leading slashes", async () => {
      expect(await imdsText(fake.endpoint, "//latest/meta-data/instance-id", token)).toBe("i-0123456789abcdef0");
    });

    it("lists children one per line, directories with a slash, no trailing newline", async () => {
      const metaData = await imdsText(fake.endpoint, "/latest/meta-data/", token);
      expect(metaData.split("\n")).toEqual(
        expect.arrayContaining(["instance-id", "placement/", "iam/", "autoscaling/"]),
      );
      expect(metaData.endsWith("\n")).toBe(false);
      expect(await imdsText(fake.endpoint, "/latest/meta-data/placement/", token)).toBe("availability-zone\nregion");
      expect(await imdsText(fake.endpoint, "/latest/meta-data/iam/", token)).toBe("info\nsecurity-credentials/");
      expect(await imdsText(fake.endpoint, "/latest/", token)).toBe("dynamic/\nmeta-data/");
    });

    it("names the role under security-credentials with and without trailing slash", async () => {
      expect(await imdsText(fake.endpoint, "/latest/meta-data/iam/security-credentials/", token)).toBe("ship-logs-role");
      expect(await imdsText(fake.endpoint, "/latest/meta-data/iam/security-credentials", token)).toBe("ship-logs-role");
    });

    it("serves the credentials document in EC2's exact shape", async () => {
      const document: unknown = JSON.parse(await imdsText(fake.endpoint, CREDENTIALS_PATH, token));
      expect(document).toEqual({
        Code: "Success",
        LastUpdated: expect.stringMatching(IMDS_TIMESTAMP),
        Type: "AWS-HMAC",
        AccessKeyId: expect.stringMatching(/^ASIA[A-Z0-9]{16}$/),
        SecretAccessKey: expect.stringMatching(/^.{40}$/),
        Token: expect.stringMatching(/^.{200,}$/),
        Expiration: expect.stringMatching(IMDS_TIMESTAMP),
      });
      const current = fake.currentCredentials();
      expect(document).toMatchObject({
        AccessKeyId: current.accessKeyId,
        SecretAccessKey: current.secretAccessKey,
        Token: current.sessionToken,
        Expiration: current.expiration.toISOString().replace(".000Z", "Z"),
      });
    });

    it("expires credentials six hours after LastUpdated by default", async () => {
      const document = JSON.parse(await imdsText(fake.endpoint, CREDENTIALS_PATH, token)) as Record<string, string>;
      expect(Date.parse(document.Expiration ?? "") - Date.parse(document.LastUpdated ?? "")).toBe(21_600_000);
    });

    it("serves iam/info", async () => {
      const info: unknown = JSON.parse(await imdsText(fake.endpoint, "/latest/meta-data/iam/info", token));
      expect(info).toEqual({
        Code: "Success",
        LastUpdated: expect.stringMatching(IMDS_TIMESTAMP),
        InstanceProfileArn: "arn:aws:iam::123456789012:instance-profile/ship-logs-role",
        InstanceProfileId: expect.stringMatching(/^AIPA[A-Z0-9]{17}$/),
      });
    });

    it("serves the instance identity document", async () => {
      const document: unknown = JSON.parse(await imdsText(fake.endpoint, "/latest/dynamic/instance-identity/document", token));
      expect(document).toEqual({
        accountId: "123456789012",
        architecture: "x86_64",
        availabilityZone: "us-east-1a",
        billingProducts: null,
        devpayProductCodes: null,
        marketplaceProductCodes: null,
        imageId: expect.stringMatching(/^ami-/),
        instanceId: "i-0123456789abcdef0",
        instanceType: expect.any(String),
        kernelId: null,
        pendingTime: expect.stringMatching(IMDS_TIMESTAMP),
        privateIp: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
        ramdiskId: null,
        region: "us-east-1",
        version: "2017-09-30",
      });
    });

    it.each([
      "/latest/meta-data/iam/security-credentials/some-other-role",
      "/latest/meta-data/iam/security-credentials-extended/",
      "/latest/meta-data/no-such-thing",
      "/latest/meta-data/instance-id/child",
      "/2021-03-23/api/token",
    ])("answers 404 - Not Found for %s", async (path) => {
      const response = await imdsGet(fake.endpoint, path, token);
      expect(response.status).toBe(404);
      expect(await response.text()).toBe("404 - Not Found");
    });
  });

  it("serves the configured identity", async () => {
    const custom = await FakeImds.start({ role: "web", instanceId: "i-0fedcba9876543210", region: "eu-west-3", accountId: "210987654321" });
    try {
      const token = await getToken(custom.endpoint);
      expect(await imdsText(custom.endpoint, "/latest/meta-data/iam/security-credentials/", token)).toBe("web");
      expect(await imdsText(custom.endpoint, "/latest/meta-data/placement/availability-zone", token)).toBe("eu-west-3a");
      const document = JSON.parse(await imdsText(custom.endpoint, "/latest/dynamic/instance-identity/document", token)) as Record<string, unknown>;
      expect(document).toMatchObject({ accountId: "210987654321", instanceId: "i-0fedcba9876543210", region: "eu-west-3" });
    } finally {
      await custom.close();
    }
  });
});
