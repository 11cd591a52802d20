/** What an object key is a function of (SPEC "What lands in S3"). */
export interface KeyParts {
  prefix: string;
  instanceId: string;
  /** UTC time recorded with the upload intent, so a replay yields the same key. */
  createdAt: Date;
  /** Base name of the source file. */
  fileName: string;
  /** Stable id of the source file's identity (see FileIdentity). */
  sourceId: string;
  start: number;
  end: number;
  compression: "gzip" | "none";
}

export type KeyLayout = "default" | "hive";

const OFFSET_DIGITS = 15;

/** S3 keys take any UTF-8, but "/" would add a level and control characters break tools. */
function safeSegment(name: string): string {
  return name.replace(/[/\\\u0000-\u001f\u007f]/g, "_") || "_";
}

function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The object name ends with the source id and the byte range, zero-padded so
 * that a listing sorts in file order. Two batches never share a range, so no
 * layout can make two objects collide.
 */
export function objectKey(parts: KeyParts, layout: KeyLayout): string {
  const file = safeSegment(parts.fileName);
  const range = `${String(parts.start).padStart(OFFSET_DIGITS, "0")}-${String(parts.end).padStart(OFFSET_DIGITS, "0")}`;
  const name = `${parts.sourceId}-${range}.log${parts.compression === "gzip" ? ".gz" : ""}`;
  const date = utcDate(parts.createdAt);
  const instance = safeSegment(parts.instanceId);
  return layout === "hive"
    ? `${parts.prefix}dt=${date}/instance=${instance}/file=${file}/${name}`
    : `${parts.prefix}${instance}/${date}/${file}/${name}`;
}
