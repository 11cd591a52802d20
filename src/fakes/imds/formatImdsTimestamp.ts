/**
 * EC2 writes `LastUpdated`/`Expiration` as UTC with whole seconds (`2026-11-28T04:16:44Z`).
 * botocore parses them with `%Y-%m-%dT%H:%M:%SZ` and silently skips its expiry logic on a
 * `.000Z` value, so `Date.toISOString()` must not be served verbatim.
 */
export function formatImdsTimestamp(at: Date | number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Drops the sub-second part, so a stored instant equals the one clients parse back. */
export function truncateToSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}
