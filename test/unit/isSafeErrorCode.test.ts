import { describe, expect, it } from "vitest";
import { isSafeErrorCode } from "../../src/log/isSafeErrorCode.js";

describe("isSafeErrorCode", () => {
  it("takes the codes of S3, EC2 and Node", () => {
    for (const code of ["ExpiredToken", "KMS.DisabledException", "AssumeRoleUnauthorizedAccess", "ECONNRESET", "ERR_STREAM_PREMATURE_CLOSE"]) {
      expect(isSafeErrorCode(code), code).toBe(true);
    }
  });

  it("refuses what is not a code: an echo of the request, a token, an over-long word", () => {
    for (const text of ["Bad token: IQoJb3JpZ2luX2VjE/x+y==", "IQoJb3JpZ2luX2VjE/x+y==", "x".repeat(65), "", "9Lives", "a b"]) {
      expect(isSafeErrorCode(text), text).toBe(false);
    }
  });

  it("refuses an access key id, which has the shape of a code", () => {
    expect(isSafeErrorCode("ASIAIOSFODNN7EXAMPLE")).toBe(false);
    expect(isSafeErrorCode("AKIAIOSFODNN7EXAMPLE")).toBe(false);
  });
});
