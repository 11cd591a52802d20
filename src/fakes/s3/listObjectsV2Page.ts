import { compareUtf8 } from "./compareUtf8.js";
import type { ListedObject } from "./ObjectStore.js";
import { s3Errors } from "./s3Errors.js";

export interface ListObjectsV2Query {
  readonly prefix: string;
  readonly delimiter?: string;
  /** 0–1000. */
  readonly maxKeys: number;
  readonly startAfter?: string;
  readonly continuationToken?: string;
}

export interface ListObjectsV2Page {
  readonly contents: readonly ListedObject[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  readonly nextContinuationToken?: string;
}

/**
 * One page of ListObjectsV2 over `sorted` (objects under `query.prefix`, in UTF-8 key order).
 * With a delimiter, keys sharing the part up to the next delimiter roll up into one common
 * prefix; keys and common prefixes together count against `maxKeys`, as in S3.
 * Continuation tokens are opaque to clients: they name the last key or prefix returned.
 */
export function listObjectsV2Page(sorted: readonly ListedObject[], query: ListObjectsV2Query): ListObjectsV2Page {
  const { prefix, maxKeys } = query;
  const delimiter = query.delimiter === "" ? undefined : query.delimiter;
  const resume = query.continuationToken === undefined ? undefined : decodeToken(query.continuationToken);
  const after = resume?.value ?? query.startAfter;
  const skipUnder = resume?.rolledUp === true ? resume.value : undefined;

  const contents: ListedObject[] = [];
  const commonPrefixes: string[] = [];
  let last: Position | undefined;
  let isTruncated = false;
  for (const entry of sorted) {
    if (after !== undefined && compareUtf8(entry.key, after) <= 0) continue;
    if (skipUnder !== undefined && entry.key.startsWith(skipUnder)) continue;
    const rollup = delimiter === undefined ? undefined : rollupOf(entry.key, prefix, delimiter);
    if (rollup !== undefined && rollup === last?.value) continue;
    if (contents.length + commonPrefixes.length >= maxKeys) {
      isTruncated = maxKeys > 0;
      break;
    }
    if (rollup === undefined) {
      contents.push(entry);
      last = { value: entry.key, rolledUp: false };
    } else {
      commonPrefixes.push(rollup);
      last = { value: rollup, rolledUp: true };
    }
  }
  return {
    contents,
    commonPrefixes,
    isTruncated,
    ...(isTruncated && last !== undefined ? { nextContinuationToken: encodeToken(last) } : {}),
  };
}

interface Position {
  readonly value: string;
  readonly rolledUp: boolean;
}

function rollupOf(key: string, prefix: string, delimiter: string): string | undefined {
  const at = key.indexOf(delimiter, prefix.length);
  return at === -1 ? undefined : key.slice(0, at + delimiter.length);
}

function encodeToken(position: Position): string {
  return Buffer.from(`${position.rolledUp ? "p" : "k"}:${position.value}`, "utf8").toString("base64url");
}

function decodeToken(token: string): Position {
  const text = Buffer.from(token, "base64url").toString("utf8");
  const kind = text.slice(0, 2);
  if (!/^[A-Za-z0-9_-]+$/.test(token) || (kind !== "p:" && kind !== "k:")) {
    throw s3Errors.invalidArgument("The continuation token provided is incorrect", {
      ArgumentName: "continuation-token",
    });
  }
  return { value: text.slice(2), rolledUp: kind === "p:" };
}
