/**
 * The configured credential source (e.g. an AWS profile) could not produce credentials.
 * The message carries the source's own message, which never contains key material.
 */
export class CredentialSourceError extends Error {
  override readonly name = "CredentialSourceError";
}
