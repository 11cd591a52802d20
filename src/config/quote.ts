/** Longest rendering of a value inside an error message; an operator needs to recognise it, not read it all. */
const MAX_VALUE_CHARS = 120;

/**
 * A string as a double-quoted literal with every control and line-separator
 * character escaped, so that it stays on one line and stray whitespace shows.
 * Error messages go to the journal: a URL's user and password, and its
 * query, never do.
 */
export function quote(text: string): string {
  return escapeLineSeparators(JSON.stringify(hideSecrets(text)));
}

/** Any configuration value (a string from a flag or the environment, or any JSON/YAML value) for an error message. */
export function describeValue(value: unknown): string {
  const text = renderValue(value);
  return text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS)}…`;
}

/**
 * `scheme://user:password@host` at the start of a value: what a URL may carry
 * that is a secret. Up to the last "@": a secret access key may hold "/", a
 * password "@" or a space. Also `https:/…`, `https:…` and `https:\\…`, which
 * Node's URL parser takes as the same URL, and `//user:password@host`
 * without a scheme. What is hidden is said to be.
 */
const URL_USERINFO = /^(\s*(?:[a-z][a-z0-9+.-]*:[/\\]*|[/\\]{2}))[\s\S]*@/i;

/**
 * The query of a URL (from its "?" up to a fragment): a presigned URL pasted
 * as an endpoint carries a session token there, and other stores take
 * `?accessKey=…&secretKey=…`. Endpoints may not have one, so none is shown.
 */
const URL_QUERY = /^(\s*(?:[a-z][a-z0-9+.-]*:[/\\]|[/\\]{2})[^?#]*)\?[^#]*/i;

function hideSecrets(text: string): string {
  return text.replace(URL_USERINFO, "$1<user and password hidden>@").replace(URL_QUERY, "$1?<query hidden>");
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === undefined) return "nothing";
  try {
    const json = JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item === "string") return hideSecrets(item);
      // A YAML mapping where a URL was meant (`endpoint:` with the URL indented below it) makes it a key.
      if (item !== null && typeof item === "object" && !Array.isArray(item)) {
        return Object.fromEntries(Object.entries(item).map(([key, inner]) => [hideSecrets(key), inner]));
      }
      return item;
    });
    return json === undefined ? typeof value : escapeLineSeparators(json);
  } catch {
    // Cyclic or BigInt-holding values cannot come from JSON or YAML text, but the
    // message must never be the thing that throws.
    return typeof value;
  }
}

/** JSON.stringify escapes C0 controls but not these: DEL and the C1 controls (CSI drives terminals), and the line separators. */
function escapeLineSeparators(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Text shown bare (a file path), with only the characters that would break or
 * hide in the line escaped: the C0 controls (a newline would forge a line, ESC
 * starts a terminal sequence), DEL, the C1 controls (CSI drives terminals
 * too) and the line separators. For what people read: status, check, the
 * exit-1 line; JSON log lines are escaped by JSON.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
