/**
 * A list in one environment variable: items separated by newlines or by commas,
 * except commas that belong to a glob: inside `{...}` (`/var/log/{syslog,auth.log}`),
 * inside a class `[...]`, or escaped as `\,` (the backslash stays in the glob,
 * where picomatch reads it as a literal comma). Items are trimmed and empty ones
 * dropped, so `a, b` and a multi-line value with indentation both work.
 */
export function splitList(text: string): string[] {
  const items: string[] = [];
  let braceDepth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") {
      items.push(text.slice(start, i));
      start = i + 1;
      // A newline always separates, so an unbalanced "{" or "[" cannot swallow the following lines.
      braceDepth = 0;
      inClass = false;
    } else if (c === "\\") {
      if (text[i + 1] !== "\n") i++;
    } else if (inClass) {
      inClass = c !== "]";
    } else if (c === "[") {
      inClass = true;
    } else if (c === "{") {
      braceDepth++;
    } else if (c === "}") {
      braceDepth = Math.max(0, braceDepth - 1);
    } else if (c === "," && braceDepth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  items.push(text.slice(start));
  return items.map((item) => item.trim()).filter((item) => item !== "");
}
