import { randomBytes } from "node:crypto";
import type { SourcedCredential } from "./CredentialSource.js";
import { truncateToSecond } from "./formatImdsTimestamp.js";
import { BASE64_ALPHABET, UPPER_ALNUM, randomString } from "./randomString.js";
import type { ServedCredential } from "./ServedCredential.js";

/** A sourced credential without its own expiry (long-term keys) is served as valid for one hour. */
const SOURCED_DEFAULT_LIFETIME_MS = 3_600_000;

/**
 * Fresh temporary credentials shaped like STS ones: `ASIA` + 16 upper-case alphanumerics,
 * a 40-character secret and a long opaque session token.
 */
export function generateCredential(nowMs: number, lifetimeSeconds: number): ServedCredential {
  const lastUpdated = truncateToSecond(nowMs);
  return {
    accessKeyId: `ASIA${randomString(UPPER_ALNUM, 16)}`,
    secretAccessKey: randomString(BASE64_ALPHABET, 40),
    sessionToken: randomBytes(600).toString("base64"),
    expiration: new Date(lastUpdated.getTime() + lifetimeSeconds * 1000),
    lastUpdated,
    revoked: false,
  };
}

/**
 * Serves a source's credentials. Expiration is the source's own (or one hour for keys that have none),
 * never later than the configured lifetime, so shortening the lifetime works in laptop mode too and a
 * client is never told real credentials last longer than they do. A missing session token is served
 * as `""`: clients require a string, and the signers skip an empty token.
 */
export function sourcedCredential(
  source: SourcedCredential,
  nowMs: number,
  lifetimeSeconds: number,
): ServedCredential {
  const lastUpdated = truncateToSecond(nowMs);
  const sourceExpiryMs = source.expiration?.getTime() ?? lastUpdated.getTime() + SOURCED_DEFAULT_LIFETIME_MS;
  const capMs = lastUpdated.getTime() + lifetimeSeconds * 1000;
  return {
    accessKeyId: source.accessKeyId,
    secretAccessKey: source.secretAccessKey,
    sessionToken: source.sessionToken ?? "",
    expiration: truncateToSecond(Math.min(sourceExpiryMs, capMs)),
    lastUpdated,
    revoked: false,
  };
}
