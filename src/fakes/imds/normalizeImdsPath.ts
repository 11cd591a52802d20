/**
 * The request path without query string and with duplicate leading slashes collapsed:
 * `@aws-sdk/ec2-metadata-service` requests `//latest/...`, and real IMDS answers it.
 */
export function normalizeImdsPath(url: string | undefined): string {
  const path = (url ?? "/").split("?", 1)[0] ?? "/";
  return path.replace(/^\/+/, "/");
}
