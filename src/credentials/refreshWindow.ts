/** AWS rotates instance-profile credentials at least five minutes before they expire. */
export const REFRESH_WINDOW_MS = 5 * 60_000;

/**
 * How long before `expiration` to fetch new credentials. Five minutes, as the
 * SDK does, but never more than a quarter of the credentials' lifetime: with
 * the 15-second credentials of a test, a fixed 5-minute window would refresh
 * on every request, which is not how real 6-hour credentials behave.
 */
export function refreshWindowMs(lifetimeMs: number): number {
  return Math.max(0, Math.min(REFRESH_WINDOW_MS, lifetimeMs / 4));
}
