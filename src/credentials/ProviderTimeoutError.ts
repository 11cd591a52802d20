/** A credentials provider call that did not settle in time; its message is the operator's reason. */
export class ProviderTimeoutError extends Error {
  override readonly name = "ProviderTimeoutError";

  constructor(readonly afterMs: number) {
    super(`the credentials provider did not answer within ${afterMs / 1000} s`);
  }
}
