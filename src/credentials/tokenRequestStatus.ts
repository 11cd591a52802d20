import { errorField } from "../log/errorField.js";

/**
 * The SDK's MetadataService (instance id, region) keeps a refused token PUT's
 * status only in its message; only the number is taken from it.
 */
const TOKEN_STATUS_IN_MESSAGE = /\bFailed to fetch metadata token with status code (\d{3})\b/;

/** The HTTP status a refused IMDS token PUT was answered with, if the error is one. */
export function tokenRequestStatus(error: unknown): number | undefined {
  const message = errorField(error, "message");
  const found = typeof message === "string" ? TOKEN_STATUS_IN_MESSAGE.exec(message)?.[1] : undefined;
  return found === undefined ? undefined : Number(found);
}
