/** One request as the fake saw it; the token itself is never recorded. */
export interface ImdsRequestRecord {
  readonly at: Date;
  readonly method: string;
  /** Normalized path (no query string, leading slashes collapsed). */
  readonly path: string;
  /** Whether an `X-aws-ec2-metadata-token` header was sent. */
  readonly tokenPresent: boolean;
  /** Whether that header named a live token. */
  readonly tokenValid: boolean;
  /** The status answered; 0 for a request held by a stall and never answered. */
  readonly status: number;
}

/** A predicate, or fields that must all match (`path` exactly, or by RegExp). */
export type ImdsRequestFilter =
  | ((record: ImdsRequestRecord) => boolean)
  | { readonly method?: string; readonly path?: string | RegExp; readonly status?: number };

export function matchesImdsRequest(record: ImdsRequestRecord, filter: ImdsRequestFilter): boolean {
  if (typeof filter === "function") return filter(record);
  const { method, path, status } = filter;
  return (
    (method === undefined || record.method === method) &&
    (path === undefined || (typeof path === "string" ? record.path === path : path.test(record.path))) &&
    (status === undefined || record.status === status)
  );
}
