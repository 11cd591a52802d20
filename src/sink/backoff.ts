/**
 * Capped exponential backoff with "equal jitter" (AWS architecture blog): half
 * the ceiling, plus up to the other half at random. Never near zero, so a
 * storm is not met with a burst of immediate retries.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
