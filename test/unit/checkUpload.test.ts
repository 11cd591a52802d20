import type { S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { checkUpload } from "../../src/check/checkUpload.js";

/** A client whose every request fails as the SDK throws an S3 error answer. */
function refusing(error: Error): S3Client {
  return { send: () => Promise.reject(error) } as unknown as S3Client;
}

describe("checkUpload", () => {
  it("a bucket in another region: the fix names the region S3 gave, as --once's line does", async () => {
    const wrongRegion = Object.assign(new Error("The authorization header is malformed"), {
      name: "AuthorizationHeaderMalformed",
      Region: "eu-west-1",
      $metadata: { httpStatusCode: 400 },
    });
    const { result } = await checkUpload({ client: refusing(wrongRegion), bucket: "logs", key: "probe", prefix: "", putParameters: {} });
    expect(result).toMatchObject({ status: "fail", fix: "the bucket is in eu-west-1: set --region eu-west-1" });
  });
});
