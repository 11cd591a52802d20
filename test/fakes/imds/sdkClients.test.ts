import { MetadataService } from "@aws-sdk/ec2-metadata-service";
import { fromInstanceMetadata } from "@smithy/credential-provider-imds";
import { describe, expect } from "vitest";
import { sdkImdsTest } from "./sdkImdsTest.js";

describe("fake-imds with the AWS SDK's own IMDS clients", () => {
  sdkImdsTest("fromInstanceMetadata (IMDSv1 disabled) gets the current credentials", async ({ fake }) => {
    const credentials = await fromInstanceMetadata({ ec2MetadataV1Disabled: true })();
    const current = fake.currentCredentials();
    expect(credentials.accessKeyId).toBe(current.accessKeyId);
    expect(credentials.secretAccessKey).toBe(current.secretAccessKey);
    expect(credentials.sessionToken).toBe(current.sessionToken);
    expect(credentials.expiration?.getTime()).toBe(current.expiration.getTime());
    expect(fake.countCredentialFetches()).toBe(1);
  });

  sdkImdsTest("every metadata request the SDK made carried a live token", async ({ fake }) => {
    await fromInstanceMetadata({ ec2MetadataV1Disabled: true })();
    const reads = fake.requests.filter((record) => record.method !== "PUT");
    expect(reads.map((record) => record.path)).toEqual([
      "/latest/meta-data/iam/security-credentials/",
      "/latest/meta-data/iam/security-credentials/ship-logs-role",
    ]);
    for (const record of reads) expect(record).toMatchObject({ tokenPresent: true, tokenValid: true, status: 200 });
    expect(fake.countRequests({ method: "PUT", path: "/latest/api/token", status: 200 })).toBe(1);
  });

  sdkImdsTest("MetadataService reads instance id and region through its //latest paths", async ({ fake }) => {
    const service = new MetadataService({ endpoint: fake.endpoint, ec2MetadataV1Disabled: true });
    expect(await service.request("/latest/meta-data/instance-id", {})).toBe("i-0123456789abcdef0");
    expect(await service.request("/latest/meta-data/placement/region", {})).toBe("us-east-1");
    expect(fake.requests.some((record) => record.path === "/latest/meta-data/instance-id" && record.tokenValid)).toBe(true);
  });

  sdkImdsTest("MetadataService reads without a leading slash too", async ({ fake }) => {
    const service = new MetadataService({ endpoint: fake.endpoint, ec2MetadataV1Disabled: true });
    expect(await service.request("latest/meta-data/instance-id", {})).toBe("i-0123456789abcdef0");
  });
});
