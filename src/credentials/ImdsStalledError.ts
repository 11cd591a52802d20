/**
 * IMDS left a read unfinished past its deadline: no answer, or one that
 * stopped partway (the SDK's metadata client times out only the wait for the
 * headers). The read is abandoned, not retried: asking again would hold one
 * more connection open.
 */
export class ImdsStalledError extends Error {
  override readonly name = "ImdsStalledError";
  readonly code = "ETIMEDOUT";
}
