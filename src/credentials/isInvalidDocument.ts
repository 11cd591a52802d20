import { errorField } from "../log/errorField.js";

/**
 * The SDK's IMDS provider refusing a credentials document without keys (EC2's
 * "cannot assume the role" document, or garbage): its message is all it keeps.
 */
export function isInvalidDocument(error: unknown): boolean {
  const message = errorField(error, "message");
  return errorField(error, "name") === "CredentialsProviderError" && typeof message === "string" && /Invalid response/.test(message);
}
