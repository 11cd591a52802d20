import { MetadataService } from "@aws-sdk/ec2-metadata-service";
import { fromInstanceMetadata } from "@smithy/credential-provider-imds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeImds } from "../../../src/fakes/imds/FakeImds.js";

describe("fake-imds with the AWS SDK's own IMDS clients", () => {
  let fake: FakeImds;
  const savedEndpoint = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;

  beforeEach(async () => {
    fake = await FakeImds.start();
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = fake.endpoint;
  });

  afterEach(async () => {
    if (savedEndpoint === undefined) delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    else process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = savedEndpoint;
    await fake.close();
  });

  it("fromInstanceMetadata (IMDSv1 disabled) gets the current credentials", async () => {
    const credentials = await fromInstanceMetadata({ ec2MetadataV1Disabled: true })();
    const current = fake.currentCredentials();
    expect(credentials.accessKeyId).toBe(current.accessKeyId);
    expect(credentials.secretAccessKey).toBe(current.secretAccessKey);
    expect(credentials.sessionToken).toBe(current.sessionToken);
    expect(credentials.expiration?.getTime()).toBe(current.expiration.getTime());
    expect(fake.countCredentialFetches()).toBe(1);
  });

  it("every metadata request the SDK made carried a live token", async () => {
    await fromInstanceMetadata({ ec2MetadataV1Disabled: true })();
    const reads = fake.requests.filter((record) => record.method !== "PUT");
    expect(reads.map((record) => record.path)).toEqual([
      "/latest/meta-data/iam/security-credentials/",
      "/latest/meta-data/iam/security-credentials/ship-logs-role",
    ]);
    for (const record of reads) expect(record).toMatchObject({ tokenPresent: true, tokenValid: true, status: 200 });
    expect(fake.countRequests({ method: "PUT", path: "/latest/api/token", status: 200 })).toBe(1);
  });

  it("MetadataService reads instance id and region through its //latest paths", async () => {
    const service = new MetadataService({ endpoint: fake.endpoint, ec2MetadataV1Disabled: true });
    expect(await service.request("/latest/meta-data/instance-id", {})).toBe("i-0123456789abcdef0");
    expect(await service.request("/latest/meta-data/placement/region", {})).toBe("us-east-1");
    expect(fake.requests.some((record) => record.path === "/latest/meta-data/instance-id" && record.tokenValid)).toBe(true);
  });

  it("MetadataService reads without a leading slash too", async () => {
    const service = new MetadataService({ endpoint: fake.endpoint, ec2MetadataV1Disabled: true });
    expect(await service.request("latest/meta-data/instance-id", {})).toBe("i-0123456789abcdef0");
  });
});
