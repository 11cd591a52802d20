/** A FakeImds method or option was used in a way it cannot honour (a bug in the calling test or CLI). */
export class FakeImdsUsageError extends Error {
  override readonly name = "FakeImdsUsageError";
}
