/**
 * A list in one environment variable: items separated by newlines or by commas,
 * except commas inside `{...}`, which belong to a brace glob such as
 * `/var/log/{syslog,auth.log}`. Items are trimmed and empty ones dropped, so
 * `a, b` and a multi-line value with indentation both work. A literal comma
 * outside braces is written `\,` (the backslash stays in the glob, where
 * picomatch reads it as a literal comma) or `[,]`.
 */
export function splitList(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    // An escaped character (`\{`, `\,`) is literal to picomatch, and so to the split.
    if (c === "\\" && text[i + 1] !== "\n") i++;
    else if (c === "{") depth++;
    else if (c === "}") depth = Math.max(0, depth - 1);
    else if (c === "\n" || (c === "," && depth === 0)) {
      items.push(text.slice(start, i));
      start = i + 1;
      // A newline always separates, so an unbalanced "{" cannot swallow the following lines.
      if (c === "\n") depth = 0;
    }
  }
  items.push(text.slice(start));
  return items.map((item) => item.trim()).filter((item) => item !== "");
}
