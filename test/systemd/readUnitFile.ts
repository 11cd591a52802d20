/** A unit file's directives: `section -> key -> values`, every occurrence in file order. */
export type UnitDirectives = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

/**
 * Enough of systemd's unit syntax for checks on our own files: `[Section]`
 * headers, `Key=Value` lines, `#`/`;` comments. Backslash line continuations
 * are joined as systemd joins them (with a space).
 */
export function readUnitFile(text: string): UnitDirectives {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of joinContinuations(text)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header?.[1] !== undefined) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = trimmed.indexOf("=");
    if (current === undefined || eq <= 0) throw new Error(`not a unit file line: ${JSON.stringify(line)}`);
    const key = trimmed.slice(0, eq).trim();
    const values = current.get(key) ?? [];
    values.push(trimmed.slice(eq + 1).trim());
    current.set(key, values);
  }
  return sections;
}

function joinContinuations(text: string): string[] {
  const lines: string[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (pending === "" && /^\s*[#;]/.test(line)) {
      lines.push(line);
    } else if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
    } else {
      lines.push(pending + line);
      pending = "";
    }
  }
  if (pending !== "") lines.push(pending);
  return lines;
}

/** The last value of `key` in `section` (the one systemd uses for a single-valued setting). */
export function lastValue(unit: UnitDirectives, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

/** systemd time spans as the unit uses them: `45`, `45s`, `2min`, `1min 30s`. */
export function parseTimeSpanSeconds(text: string): number {
  const units: Record<string, number> = { "": 1, s: 1, sec: 1, m: 60, min: 60, h: 3600 };
  let total = 0;
  for (const part of text.trim().split(/\s+/)) {
    const match = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part);
    const factor = match?.[2] === undefined ? undefined : units[match[2]];
    if (match?.[1] === undefined || factor === undefined) throw new Error(`unsupported time span: ${JSON.stringify(text)}`);
    total += Number(match[1]) * factor;
  }
  return total;
}
