/** Raw IMDS calls for the tests, via Node's own fetch (not the SDK). */

/** A token PUT; `ttl` null sends no TTL header at all. */
export function putToken(
  endpoint: string,
  ttl: string | null,
  headers: Record<string, string> = {},
  path = "/latest/api/token",
): Promise<Response> {
  return fetch(`${endpoint}${path}`, {
    method: "PUT",
    headers: ttl === null ? headers : { "X-aws-ec2-metadata-token-ttl-seconds": ttl, ...headers },
  });
}

export async function getToken(endpoint: string, ttl = "21600"): Promise<string> {
  const response = await putToken(endpoint, ttl);
  if (response.status !== 200) throw new Error(`token PUT answered ${response.status}`);
  return response.text();
}

export function imdsGet(endpoint: string, path: string, token?: string, method = "GET"): Promise<Response> {
  return fetch(`${endpoint}${path}`, {
    method,
    headers: token === undefined ? {} : { "X-aws-ec2-metadata-token": token },
  });
}

export async function imdsText(endpoint: string, path: string, token: string): Promise<string> {
  const response = await imdsGet(endpoint, path, token);
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  return response.text();
}

/** `2026-11-28T04:16:44Z`: UTC, whole seconds, no fractional part. */
export const IMDS_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
