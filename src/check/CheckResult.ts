/** One line of `ship-logs check`. */
export interface CheckResult {
  name: string;
  /** `warn`: shipping works, but something needs an operator (exit code 0). */
  status: "ok" | "warn" | "fail" | "skip";
  detail: string;
  /** What the operator should do, for a failure or a warning. */
  fix?: string;
}
