import type { ImdsFailureKind } from "./ImdsFailure.js";

/**
 * No usable credentials: the provider failed and no unexpired credentials are
 * cached. The message is written for the operator and never contains a secret;
 * `imdsKind` says what went wrong at IMDS on the last attempt, when it did.
 */
export class CredentialsUnavailableError extends Error {
  override readonly name = "CredentialsUnavailableError";

  constructor(
    message: string,
    readonly imdsKind?: ImdsFailureKind,
  ) {
    super(message);
  }
}
