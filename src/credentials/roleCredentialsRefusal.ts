import { isSafeErrorCode } from "../log/isSafeErrorCode.js";
import { instanceMetadata } from "./instanceMetadata.js";

/**
 * The `Code` of the role's credentials document when it is not `Success`,
 * read once more through the SDK's metadata client after the SDK's provider
 * refused the document as "Invalid response" (it keeps neither the document
 * nor its code). Undefined when the document now has keys, or cannot be read.
 * Only the code leaves this function: never a key, even should the document
 * hold some by now.
 */
export async function roleCredentialsRefusal(endpoint: string, timeoutMs: number): Promise<string | undefined> {
  const metadata = instanceMetadata({ endpoint, timeoutMs, retries: 0 });
  try {
    const role = (await metadata.get("meta-data/iam/security-credentials/")).split("\n")[0]?.trim();
    if (!role) return undefined;
    const document: unknown = JSON.parse(await metadata.get(`meta-data/iam/security-credentials/${role}`));
    const code = typeof document === "object" && document !== null ? (document as { Code?: unknown }).Code : undefined;
    return typeof code === "string" && code !== "Success" && isSafeErrorCode(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
