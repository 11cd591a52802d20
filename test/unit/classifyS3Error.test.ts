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
  ];
  for (const [what, error, expected] of cases) {
    it(`${what}: ${expected}`, () => {
      expect(classifyS3Error(error).class).toBe(expected);
    });
  }
});
