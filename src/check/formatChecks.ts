import { printable } from "../config/quote.js";
import type { CheckResult } from "./CheckResult.js";

/**
 * One line per check: status, name, what was found, and the fix for a failure.
 * Names and details carry globs and file paths: their control characters are
 * escaped, so that each check stays one line and none drives the terminal.
 */
export function formatChecks(results: readonly CheckResult[]): string {
  const shown = results.map((result) => ({ ...result, name: printable(result.name), detail: printable(result.detail), fix: result.fix && printable(result.fix) }));
  const width = Math.max(...shown.map((result) => result.name.length));
  return shown
    .map((result) => {
      const head = `${result.status.toUpperCase().padEnd(4)}  ${result.name.padEnd(width)}  ${result.detail}`;
      return result.fix && (result.status === "fail" || result.status === "warn") ? `${head} — fix: ${result.fix}` : head;
    })
    .join("\n")
    .concat("\n");
}
