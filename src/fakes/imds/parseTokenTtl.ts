export const MAX_TOKEN_TTL_SECONDS = 21_600;

/**
 * The TTL a token PUT asks for, or undefined when EC2 would answer 400: header missing, not a plain
 * decimal integer, or outside 1..21600 seconds.
 */
export function parseTokenTtl(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  const ttl = Number(header);
  return ttl >= 1 && ttl <= MAX_TOKEN_TTL_SECONDS ? ttl : undefined;
}
