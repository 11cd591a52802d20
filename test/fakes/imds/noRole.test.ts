import { fromInstanceMetadata } from "@smithy/credential-provider-imds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeImds } from "../../../src/fakes/imds/FakeImds.js";
import { getToken, imdsGet, imdsText } from "./imdsHttp.js";

describe("fake-imds without an instance profile (role: null)", () => {
  let fake: FakeImds;
  let token: string;

  beforeEach(async () => {
    fake = await FakeImds.start({ role: null });
    token = await getToken(fake.endpoint);
  });

  afterEach(async () => {
    await fake.close();
  });

  it("has no iam/ category: the role listing, the info document and any role path are 404", async () => {
    expect(fake.role).toBeUndefined();
    expect((await imdsText(fake.endpoint, "/latest/meta-data/", token)).split("\n")).not.toContain("iam/");
    for (const path of [
      "/latest/meta-data/iam/",
      "/latest/meta-data/iam/info",
      "/latest/meta-data/iam/security-credentials/",
      "/latest/meta-data/iam/security-credentials/ship-logs-role",
    ]) {
      expect((await imdsGet(fake.endpoint, path, token)).status, path).toBe(404);
    }
    expect(fake.countCredentialFetches()).toBe(0);
  });

  it("still serves the rest of the instance: identity, region, lifecycle notices", async () => {
    expect(await imdsText(fake.endpoint, "/latest/meta-data/instance-id", token)).toBe("i-0123456789abcdef0");
    expect(await imdsText(fake.endpoint, "/latest/meta-data/placement/region", token)).toBe("us-east-1");
    fake.raiseSpotInterruption();
    expect((await imdsGet(fake.endpoint, "/latest/meta-data/spot/instance-action", token)).status).toBe(200);
  });

  it("the SDK's IMDS provider fails instead of finding credentials", async () => {
    const provider = fromInstanceMetadata({ ec2MetadataV1Disabled: true, maxRetries: 0 });
    const saved = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = fake.endpoint;
    try {
      await expect(provider()).rejects.toThrow();
    } finally {
      if (saved === undefined) delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
      else process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = saved;
    }
  });

  it("a role name given as a string still works as before", async () => {
    const named = await FakeImds.start({ role: "web" });
    try {
      const namedToken = await getToken(named.endpoint);
      expect(await imdsText(named.endpoint, "/latest/meta-data/iam/security-credentials/", namedToken)).toBe("web");
    } finally {
      await named.close();
    }
  });
});
