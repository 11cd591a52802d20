import type { HostToken, KeyTemplate, KeyToken } from "./KeyTemplate.js";

/** Values of the host tokens; only those the template uses need be present. */
export type HostKeyValues = { readonly [T in HostToken]?: string };

/** What an object key is a function of (SPEC "What lands in S3"). */
export interface KeyParts {
  prefix: string;
  host: HostKeyValues;
  /** UTC time recorded with the upload intent, so a replay yields the same key. */
  createdAt: Date;
  /** Base name of the source file. */
  fileName: string;
  /** The source file's id (FileCheckpoint.sourceId): drawn when the file was first seen, kept across renames. */
  sourceId: string;
  start: number;
  end: number;
  compression: "gzip" | "none";
}

const OFFSET_DIGITS = 15;

/**
 * S3 keys take any UTF-8, but "/" in a value would add a level (and could
 * forge another token's place), and "\", control characters, "." and ".."
 * break tools that map keys to paths.
 */
function safeSegment(value: string): string {
  const safe = value.replace(/[/\\\u0000-\u001f\u007f-\u009f]/g, "_");
  return safe === "" || safe === "." || safe === ".." ? "_" : safe;
}

function two(value: number): string {
  return String(value).padStart(2, "0");
}

function tokenValue(token: KeyToken, parts: KeyParts): string {
  const at = parts.createdAt;
  switch (token) {
    // The prefix is the operator's, "/" included: it is used as given.
    case "prefix":
      return parts.prefix;
    case "file":
      return safeSegment(parts.fileName);
    case "yyyy":
      return String(at.getUTCFullYear()).padStart(4, "0");
    case "mm":
      return two(at.getUTCMonth() + 1);
    case "dd":
      return two(at.getUTCDate());
    case "hh":
      return two(at.getUTCHours());
    default: {
      const value = parts.host[token];
      // The caller resolves every host token the template names (resolveKeyValues).
      if (value === undefined) throw new Error(`no value for {${token}}`);
      return safeSegment(value);
    }
  }
}

/**
 * The template's directory, then the source id and the byte range,
 * zero-padded so that a listing sorts in file order. That last part is always
 * there and two batches of one host never share a range, so no template can
 * make two objects collide; the template only decides where they go.
 */
export function objectKey(parts: KeyParts, template: KeyTemplate): string {
  const directory = template.parts.map((part) => (part.kind === "text" ? part.text : tokenValue(part.token, parts))).join("");
  const range = `${String(parts.start).padStart(OFFSET_DIGITS, "0")}-${String(parts.end).padStart(OFFSET_DIGITS, "0")}`;
  return `${directory}/${parts.sourceId}-${range}.log${parts.compression === "gzip" ? ".gz" : ""}`;
}

/** S3 refuses longer keys (KeyTooLongError). */
export const MAX_KEY_BYTES = 1024;

/**
 * The longest value each token can have, in bytes: a file name of 255
 * (NAME_MAX), an instance id of 19, or off EC2 the host name of 64 that
 * stands for it (HOST_NAME_MAX), a full DNS name of 253.
 */
const LONGEST_TOKEN_BYTES: Readonly<Record<Exclude<KeyToken, "prefix">, number>> = {
  file: 255,
  instance: 64,
  region: 32,
  account: 12,
  hostname: 253,
  yyyy: 4,
  mm: 2,
  dd: 2,
  hh: 2,
};

/** "/", a 12-character source id, two ranges of OFFSET_DIGITS, ".log.gz". */
const SUFFIX_BYTES = 1 + 12 + 1 + OFFSET_DIGITS + 1 + OFFSET_DIGITS + ".log.gz".length;

/**
 * The longest key `objectKey` can make with this template and prefix. A key
 * over MAX_KEY_BYTES is refused by S3 for good, and since a key is decided
 * before its upload and replayed as it was, a batch under such a key would
 * hold its file back even after the prefix is fixed: refused at start instead.
 */
export function longestKeyBytes(template: KeyTemplate, prefix: string): number {
  const directory = template.parts.reduce(
    (bytes, part) =>
      bytes +
      (part.kind === "text" ? Buffer.byteLength(part.text) : part.token === "prefix" ? Buffer.byteLength(prefix) : LONGEST_TOKEN_BYTES[part.token]),
    0,
  );
  return directory + SUFFIX_BYTES;
}
