import { s3Errors } from "./s3Errors.js";

/** Decoded query parameters; a name given more than once keeps every value, in order. */
export type QueryParams = Readonly<Record<string, string | readonly string[]>>;

/** A path-style S3 request target: `/`, `/bucket`, or `/bucket/key…`. */
export interface RequestTarget {
  /** The path exactly as sent: S3 signs it without re-encoding (the SDK's `uriEscapePath: false`). */
  readonly rawPath: string;
  readonly query: QueryParams;
  readonly bucket?: string;
  /** The decoded object key; absent for bucket-level and service-level requests. */
  readonly key?: string;
}

/** Splits a request URL into bucket, key and query. Throws `InvalidURI` on undecodable escapes. */
export function parseRequestTarget(url: string): RequestTarget {
  if (!url.startsWith("/")) throw s3Errors.invalidUri();
  const queryStart = url.indexOf("?");
  const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
  const query = parseQuery(queryStart === -1 ? "" : url.slice(queryStart + 1));

  const slash = rawPath.indexOf("/", 1);
  const rawBucket = slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash);
  const rawKey = slash === -1 ? "" : rawPath.slice(slash + 1);
  const bucket = decode(rawBucket);
  const key = decode(rawKey);
  return {
    rawPath,
    query,
    ...(bucket === "" ? {} : { bucket }),
    ...(key === "" ? {} : { key }),
  };
}

/** The first value of a query parameter. */
export function queryValue(query: QueryParams, name: string): string | undefined {
  const value = query[name];
  return typeof value === "string" ? value : value?.[0];
}

function parseQuery(raw: string): QueryParams {
  // A null prototype keeps a parameter named `__proto__` an ordinary entry.
  const query = Object.create(null) as Record<string, string | string[]>;
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = decode(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? "" : decode(part.slice(eq + 1));
    const previous = query[name];
    if (previous === undefined) query[name] = value;
    else if (typeof previous === "string") query[name] = [previous, value];
    else previous.push(value);
  }
  return query;
}

// `+` stays a plus: SigV4 clients percent-encode spaces, and S3 keys may contain `+`.
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw s3Errors.invalidUri();
  }
}
