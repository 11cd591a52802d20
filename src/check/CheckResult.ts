/** One line of `ship-logs check`. */
export interface CheckResult {
  name: string;
  status: "ok" | "fail" | "skip";
  detail: string;
  /** What the operator should do, for a failure. */
  fix?: string;
}
