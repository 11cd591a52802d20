/**
 * No usable credentials: the provider failed and no unexpired credentials are
 * cached. The message is written for the operator and never contains a secret.
 */
export class CredentialsUnavailableError extends Error {
  override readonly name = "CredentialsUnavailableError";
}
