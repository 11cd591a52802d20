const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Parses the SigV4 basic ISO-8601 timestamp (`20250102T030405Z`) into epoch milliseconds;
 * `undefined` for anything else, including impossible dates such as `20250231T…`.
 */
export function parseAmzDate(value: string): number | undefined {
  const match = AMZ_DATE.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  if (
    year === undefined ||
    month === undefined ||
    day === undefined ||
    hour === undefined ||
    minute === undefined ||
    second === undefined
  ) {
    return undefined;
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC silently rolls over out-of-range fields; a round trip catches that.
  return formatAmzDate(ms) === value ? ms : undefined;
}

/** Formats epoch milliseconds as a SigV4 timestamp, `20250102T030405Z`. */
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}
