/**
 * The configured credential source (e.g. an AWS profile) could not produce credentials.
 * The message names the failure (describeProviderFailure), never what the source read.
 */
export class CredentialSourceError extends Error {
  override readonly name = "CredentialSourceError";
}
