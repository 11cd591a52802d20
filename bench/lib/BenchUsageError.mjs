// @ts-check

/** Bad bench options or a missing tool: reported as one line, no stack. */
export class BenchUsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "BenchUsageError";
  }
}
