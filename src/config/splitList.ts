/**
 * A list in one environment variable: items separated by newlines or by commas,
 * except commas that belong to a glob: inside `{...}` (`/var/log/{syslog,auth.log}`),
 * inside a class `[...]`, or escaped as `\,` (the backslash stays in the glob,
 * where picomatch reads it as a literal comma). Items are trimmed and empty ones
 * dropped, so `a, b` and a multi-line value with indentation both work.
 *
 * A `{` or `[` that is never closed (a file named `a[1.log`) is a literal
 * character, as picomatch reads it: it holds no comma, and the line is split
 * as if it were any other character. A newline always separates.
 */
export function splitList(text: string): string[] {
  return text
    .split("\n")
    .flatMap(splitLine)
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function splitLine(line: string): string[] {
  const literal = new Set<number>();
  for (;;) {
    const { items, unclosed } = splitAtCommas(line, literal);
    if (unclosed === undefined) return items;
    // Again, with that opener read as a plain character: each pass settles one, so this ends.
    literal.add(unclosed);
  }
}

/**
 * @param literal positions of openers that are plain characters
 * @returns the items, or the position of an opener that the line never closes
 */
function splitAtCommas(line: string, literal: ReadonlySet<number>): { items: string[]; unclosed?: number } {
  const items: string[] = [];
  const openBraces: number[] = [];
  let classStart: number | undefined;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\") {
      i++;
    } else if (classStart !== undefined) {
      if (c === "]") classStart = undefined;
    } else if (literal.has(i)) {
      continue;
    } else if (c === "[") {
      classStart = i;
    } else if (c === "{") {
      openBraces.push(i);
    } else if (c === "}") {
      openBraces.pop();
    } else if (c === "," && openBraces.length === 0) {
      items.push(line.slice(start, i));
      start = i + 1;
    }
  }
  const unclosed = classStart ?? openBraces.at(-1);
  if (unclosed !== undefined) return { items: [], unclosed };
  items.push(line.slice(start));
  return { items };
}
