import { describe, expect, test } from "vitest";
import { parseAuthorization } from "../../../src/fakes/s3/parseAuthorization.js";
import { S3Error } from "../../../src/fakes/s3/S3Error.js";

const SIG = "f".repeat(64);

describe("parseAuthorization", () => {
  test("parses the JS SDK / botocore form", () => {
    expect(
      parseAuthorization(
        `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
      ),
    ).toEqual({
      accessKeyId: "ASIAEXAMPLE",
      scopeDate: "20250101",
      scopeRegion: "us-east-1",
      scopeService: "s3",
      signedHeaders: ["host", "x-amz-date"],
      signature: SIG,
    });
  });

  test.each([
    ["SigV2", "AWS AKID:c2ln", "InvalidRequest"],
    ["SigV4a", `AWS4-ECDSA-P256-SHA256 Credential=A/20250101/s3/aws4_request, SignedHeaders=host, Signature=${SIG}`, "InvalidRequest"],
    ["missing Signature", "AWS4-HMAC-SHA256 Credential=A/20250101/us-east-1/s3/aws4_request, SignedHeaders=host", "AuthorizationHeaderMalformed"],
    ["short scope", `AWS4-HMAC-SHA256 Credential=A/20250101/s3/aws4_request, SignedHeaders=host, Signature=${SIG}`, "AuthorizationHeaderMalformed"],
    ["bad date", `AWS4-HMAC-SHA256 Credential=A/2025011/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIG}`, "AuthorizationHeaderMalformed"],
    ["upper-case header", `AWS4-HMAC-SHA256 Credential=A/20250101/us-east-1/s3/aws4_request, SignedHeaders=Host, Signature=${SIG}`, "AuthorizationHeaderMalformed"],
    ["host not signed", `AWS4-HMAC-SHA256 Credential=A/20250101/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date, Signature=${SIG}`, "AuthorizationHeaderMalformed"],
    ["non-hex signature", "AWS4-HMAC-SHA256 Credential=A/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=xyz", "AuthorizationHeaderMalformed"],
  ])("rejects %s", (_, header, code) => {
    let thrown: unknown;
    try {
      parseAuthorization(header);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(S3Error);
    expect((thrown as S3Error).code).toBe(code);
  });
});
