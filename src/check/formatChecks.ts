import type { CheckResult } from "./CheckResult.js";

/** One line per check: status, name, what was found, and the fix for a failure. */
export function formatChecks(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((result) => result.name.length));
  return results
    .map((result) => {
      const head = `${result.status.toUpperCase().padEnd(4)}  ${result.name.padEnd(width)}  ${result.detail}`;
      return result.fix && (result.status === "fail" || result.status === "warn") ? `${head} — fix: ${result.fix}` : head;
    })
    .join("\n")
    .concat("\n");
}
