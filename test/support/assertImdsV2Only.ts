import { expect } from "vitest";
import type { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import type { ImdsRequestRecord } from "../../src/fakes/imds/ImdsRequestRecord.js";

export interface ImdsV2OnlyOptions {
  /**
   * With a tiny `maxTokenTtlSeconds`, a token can expire between its PUT and a GET: such a GET
   * still carries a token and IMDS answers 401. Allowed only when the test shortens token TTLs.
   */
  allowExpiredTokens?: boolean;
}

const TOKEN_PATH = "/latest/api/token";

function describeRecord(record: ImdsRequestRecord): string {
  const token = record.tokenPresent ? (record.tokenValid ? "valid token" : "expired or unknown token") : "NO token";
  return `${record.method} ${record.path} -> ${record.status} (${token}) at ${record.at.toISOString()}`;
}

/**
 * SPEC "Credentials": IMDSv2 only. Every request fake-imds saw, except the token PUT itself,
 * carried a session token, and a live one. A request without a token is what the SDK's IMDSv1
 * fallback sends; it must never happen, whatever IMDS did (errors, refusals, stalls).
 */
export function assertImdsV2Only(imds: FakeImds, options: ImdsV2OnlyOptions = {}): void {
  const offenders = imds.requests.filter((record) => {
    if (record.method === "PUT" && record.path === TOKEN_PATH) return false;
    if (!record.tokenPresent) return true;
    if (record.tokenValid) return false;
    return !(options.allowExpiredTokens === true && record.status === 401);
  });
  expect(offenders.map(describeRecord), "IMDS requests without a valid session token").toEqual([]);
  // A test that ran the shipper must have exercised the protocol at all.
  expect(imds.countRequests({ method: "PUT", path: TOKEN_PATH }), "token PUTs").toBeGreaterThan(0);
}
