import type { Fallback } from "./OptionDescriptor.js";

/**
 * A default in words, for `--help` and the docs: `code` marks literal text
 * (backticks in Markdown, nothing in a terminal).
 */
export function describeFallback(fallback: Fallback, code: (text: string) => string): string {
  switch (fallback.kind) {
    case "required":
      return "required";
    case "absent":
      return fallback.text;
    case "constant":
      return code(fallback.raw === "" ? '""' : fallback.raw);
    case "environment": {
      const note = fallback.note === undefined ? "" : ` (${fallback.note})`;
      return `${code(`$${fallback.variable}`)}${note}, else ${describeFallback(fallback.otherwise, code)}`;
    }
  }
}
