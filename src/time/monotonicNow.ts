/**
 * Milliseconds on a clock that only moves forward, for every "how long has
 * this waited" and every "not before then": the flush interval, retry and
 * quiet periods, ages in metrics and logs. Date.now() is the wall clock, and
 * NTP, chrony or a VM restored from a snapshot can step it: measured with it,
 * a step back of S seconds held every waiting line for S seconds more than
 * --flush-interval, and a step forward sent batches early. The wall clock
 * stays for calendar times: object keys, timestamps for humans, the state
 * and status files another process reads, credential expiry.
 *
 * Whole milliseconds, as Date.now() gives, so that differences are exact:
 * in fractions, `(t + 2000) - t` can come out 1999.9999…, short of a 2 s
 * flush interval.
 * Read through `performance` at each call (not bound once), so that fake
 * timers that replace it in tests are seen.
 */
export function monotonicNow(): number {
  return Math.floor(performance.now());
}
