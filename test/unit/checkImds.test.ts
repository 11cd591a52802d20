import { describe, expect, it } from "vitest";
import { credentialsFix, imdsFix } from "../../src/check/checkImds.js";
import type { CheckResult } from "../../src/check/CheckResult.js";
import { classifyImdsError } from "../../src/credentials/describeCredentialError.js";
import type { ImdsFailureKind } from "../../src/credentials/ImdsFailure.js";
import { RoleCredentialsRefusedError } from "../../src/credentials/RoleCredentialsRefusedError.js";

const ENDPOINT = "http://169.254.169.254";
const imdsOk: CheckResult = { name: "imds", status: "ok", detail: "IMDSv2" };
const roleOk: CheckResult = { name: "role", status: "ok", detail: "instance role ship-logs" };

const HOP_LIMIT = /--http-put-response-hop-limit 2/;
const ENABLE = /--http-endpoint enabled --http-tokens required/;
const FAILING = /^IMDS is failing or answering garbage, which no setting or instance profile fixes: run check again in a minute/;

describe("imdsFix: the fix by the kind of failure, never by the words of the line", () => {
  const expected: Record<ImdsFailureKind, RegExp> = {
    "token-unanswered": HOP_LIMIT,
    timeout: HOP_LIMIT,
    "endpoint-disabled": ENABLE,
    unreachable: /^run on EC2, or correct --imds-endpoint/,
    busy: FAILING,
    "http-error": FAILING,
    "bad-document": FAILING,
    stalled: ENABLE,
    "not-imds": ENABLE,
    "no-role": ENABLE,
    "token-rejected": ENABLE,
    "role-not-assumable": ENABLE,
    "role-refused": ENABLE,
    other: ENABLE,
  };
  for (const [kind, fix] of Object.entries(expected) as [ImdsFailureKind, RegExp][]) {
    it(`${kind}`, () => expect(imdsFix(kind)).toMatch(fix));
  }
});

describe("credentialsFix: an instance profile is the fix only when none is attached", () => {
  it("a role whose trust policy refuses EC2: the trust policy", () => {
    expect(credentialsFix("role-not-assumable", imdsOk, roleOk)).toMatch(/^the instance profile is attached, but EC2 may not assume its role/);
  });

  it("another code in EC2's document: the role and its trust policy", () => {
    expect(credentialsFix("role-refused", imdsOk, roleOk)).toMatch(/^EC2 could not get credentials for the instance's role/);
  });

  it.each(["http-error", "bad-document", "busy"] as const)("%s with the role listed (HTTP 500, or a document without keys): IMDS is failing, not 'attach an instance profile'", (kind) => {
    const fix = credentialsFix(kind, imdsOk, roleOk);
    expect(fix).toMatch(FAILING);
    expect(fix).not.toContain("attach an instance profile");
  });

  it("IMDS itself failed: the imds line's fix", () => {
    const imds: CheckResult = { name: "imds", status: "fail", detail: "(403)", fix: imdsFix("endpoint-disabled") };
    expect(credentialsFix("endpoint-disabled", imds, { name: "role", status: "skip", detail: "" })).toBe(`IMDS must answer first (see the imds line): ${imdsFix("endpoint-disabled")}`);
  });

  it("no role listed: attach an instance profile", () => {
    expect(credentialsFix("no-role", imdsOk, { name: "role", status: "fail", detail: "(404)" })).toMatch(/^attach an instance profile \(see the role line/);
  });

  it("--credentials chain: its source", () => {
    expect(credentialsFix(undefined, { name: "imds", status: "skip", detail: "" }, undefined)).toMatch(/^fix --credentials chain's source/);
  });

  it("the line's words do not matter: a reworded line gets the same fix, a line that quotes them gets none of theirs", () => {
    // The fix takes no text at all; the detail of a 500 names none of the words the old matching looked for.
    const failure = classifyImdsError(Object.assign(new Error("its document says AssumeRoleUnauthorizedAccess (403) unreachable"), { $metadata: { httpStatusCode: 500 } }), ENDPOINT);
    expect(failure.kind).toBe("http-error");
    expect(credentialsFix(failure.kind, imdsOk, roleOk)).toMatch(FAILING);
  });
});

describe("classifyImdsError: the kind beside the line", () => {
  it.each([
    ["a 500", Object.assign(new Error("x"), { $metadata: { httpStatusCode: 500 } }), "http-error", /answered HTTP 500$/],
    ["a 404", Object.assign(new Error("x"), { $metadata: { httpStatusCode: 404 } }), "no-role", /\(404\)/],
    ["a 403", Object.assign(new Error("x"), { statusCode: 403 }), "endpoint-disabled", /\(403\)/],
    ["a document without keys", Object.assign(new Error("Invalid response received from instance metadata service."), { name: "CredentialsProviderError" }), "bad-document", /without AccessKeyId/],
    ["a document that is not JSON", new SyntaxError("Unexpected token"), "bad-document", /not valid JSON/],
    ["AssumeRoleUnauthorizedAccess", new RoleCredentialsRefusedError("AssumeRoleUnauthorizedAccess"), "role-not-assumable", /its document says AssumeRoleUnauthorizedAccess/],
    ["another refusal", new RoleCredentialsRefusedError("InternalError"), "role-refused", /its document says InternalError$/],
    ["ECONNREFUSED", Object.assign(new Error("connect"), { code: "ECONNREFUSED" }), "unreachable", /unreachable/],
  ] as const)("%s", (_, error, kind, detail) => {
    const failure = classifyImdsError(error, ENDPOINT);
    expect(failure.kind).toBe(kind);
    expect(failure.detail).toMatch(detail);
  });
});
