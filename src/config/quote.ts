/** Longest rendering of a value inside an error message; an operator needs to recognise it, not read it all. */
const MAX_VALUE_CHARS = 120;

/**
 * A string as a double-quoted literal with every control and line-separator
 * character escaped, so that it stays on one line and stray whitespace shows.
 */
export function quote(text: string): string {
  return escapeLineSeparators(JSON.stringify(text));
}

/** Any configuration value (a string from a flag or the environment, or any JSON/YAML value) for an error message. */
export function describeValue(value: unknown): string {
  const text = renderValue(value);
  return text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS)}…`;
}

/**
 * `scheme://user:password@host`: what a URL may carry that is a secret. Up to
 * the last "@": a secret access key may hold "/", a password "@" or a space.
 * Also `https:/…`, `https:…` and `https:\\…`, which Node's URL parser takes
 * as the same URL. One value at a time, so hiding too much hides only its own.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:[/\\]*)[\s\S]*@/gi;

function renderValue(value: unknown): string {
  // Error messages go to the journal: a URL's user and password never do.
  if (typeof value === "string") return quote(value.replace(URL_USERINFO, "$1***@"));
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === undefined) return "nothing";
  try {
    const json = JSON.stringify(value);
    return json === undefined ? typeof value : escapeLineSeparators(json);
  } catch {
    // Cyclic or BigInt-holding values cannot come from JSON or YAML text, but the
    // message must never be the thing that throws.
    return typeof value;
  }
}

/** JSON.stringify escapes C0 controls but not these, which terminals and log collectors may treat as line breaks. */
function escapeLineSeparators(json: string): string {
  return json.replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Text shown bare (a file path), with only the characters that would break or hide in the line escaped. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
