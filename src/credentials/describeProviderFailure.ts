import { errorField } from "../log/errorField.js";

/**
 * A credential provider's failure in a few words that cannot hold a secret:
 * the error's name and Node error code, and the message only of the SDK's
 * own `CredentialsProviderError`, cut at its first quote. Other messages can
 * quote what a provider read: a `JSON.parse` of a credentials document that
 * is not valid JSON throws a SyntaxError whose message quotes the document,
 * secret key and token included (research §2b.6). A few SDK messages embed
 * a nested error's text, which is quoted too, hence the cut.
 */
export function describeProviderFailure(error: unknown): string {
  const rawName = errorField(error, "name");
  const name = typeof rawName === "string" ? rawName : "error";
  if (name === "SyntaxError") return "SyntaxError: a credentials document is not valid JSON";
  const code = errorField(error, "code");
  const named = typeof code === "string" ? `${name} ${code}` : name;
  const message = errorField(error, "message");
  if (name !== "CredentialsProviderError" || typeof message !== "string") return named;
  const text = (message.split("\n")[0] ?? "").split(/["'`]/)[0]?.trim();
  return text ? `${named}: ${text}` : named;
}
