import { describe, expect, it } from "vitest";
import { CredentialsUnavailableError } from "../../src/credentials/CredentialsUnavailableError.js";
import { classifyS3Error, type S3ErrorClass } from "../../src/sink/classifyS3Error.js";

/** An error as the SDK throws it for an S3 answer. */
function answered(status: number, code: string): Error {
  return Object.assign(new Error(code), { name: code, $metadata: { httpStatusCode: status } });
}

describe("classifyS3Error", () => {
  const cases: Array<[string, unknown, S3ErrorClass]> = [
    ["503 SlowDown", answered(503, "SlowDown"), "transient"],
    ["500 InternalError", answered(500, "InternalError"), "transient"],
    ["429", answered(429, "TooManyRequests"), "transient"],
    ["400 RequestTimeout (the body stalled on the way)", answered(400, "RequestTimeout"), "transient"],
    ["409 OperationAborted (a conflicting operation; try again)", answered(409, "OperationAborted"), "transient"],
    ["400 IncompleteBody", answered(400, "IncompleteBody"), "transient"],
    ["400 BadDigest", answered(400, "BadDigest"), "transient"],
    ["400 ExpiredToken", answered(400, "ExpiredToken"), "credentials"],
    ["403 InvalidAccessKeyId", answered(403, "InvalidAccessKeyId"), "credentials"],
    ["403 AccessDenied", answered(403, "AccessDenied"), "permanent"],
    ["404 NoSuchBucket", answered(404, "NoSuchBucket"), "permanent"],
    ["400 MalformedXML", answered(400, "MalformedXML"), "permanent"],
    ["a connection reset", Object.assign(new Error("socket hang up"), { name: "TimeoutError", code: "ECONNRESET" }), "transient"],
    ["no credentials to be had", new CredentialsUnavailableError("IMDS down"), "no-credentials"],
    ["an untrusted TLS certificate (a resend cannot cure it)", Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }), "permanent"],
    ["an expired TLS certificate", Object.assign(new Error("certificate has expired"), { code: "CERT_HAS_EXPIRED" }), "permanent"],
  ];
  for (const [what, error, expected] of cases) {
    it(`${what}: ${expected}`, () => {
      expect(classifyS3Error(error).class).toBe(expected);
    });
  }

  it("a request signed for another region than the bucket's: permanent, with the region S3 named", () => {
    const malformed = Object.assign(answered(400, "AuthorizationHeaderMalformed"), { Region: "eu-central-1" });
    expect(classifyS3Error(malformed)).toEqual({ class: "permanent", code: "AuthorizationHeaderMalformed", status: 400, bucketRegion: "eu-central-1" });
    const redirect = Object.assign(answered(301, "PermanentRedirect"), { Endpoint: "logs.s3.eu-central-1.amazonaws.com" });
    expect(classifyS3Error(redirect).bucketRegion).toBe("eu-central-1");
    const bare = Object.assign(answered(301, "Unknown"), { $response: { headers: { "x-amz-bucket-region": "ap-southeast-2" } } });
    expect(classifyS3Error(bare)).toEqual({ class: "permanent", code: "Unknown", status: 301, bucketRegion: "ap-southeast-2" });
    expect(classifyS3Error(Object.assign(answered(400, "AuthorizationHeaderMalformed"), { Region: "<script>" })).bucketRegion).toBeUndefined();
  });

  it("a <Code> that is not an error code (a proxy echoing the request) is not shown: it goes to logs and a metrics label", () => {
    const echoed = answered(400, "Bad X-Amz-Security-Token: IQoJb3JpZ2luX2VjE/secret+token==");
    expect(classifyS3Error(echoed)).toEqual({ class: "permanent", code: "UnknownError", status: 400 });
    expect(classifyS3Error(answered(503, "x".repeat(65))).code).toBe("UnknownError");
    expect(classifyS3Error(answered(403, "KMS.AccessDeniedException")).code).toBe("KMS.AccessDeniedException");
    expect(classifyS3Error(answered(400, "XAmzContentSHA256Mismatch")).code).toBe("XAmzContentSHA256Mismatch");
  });
});
