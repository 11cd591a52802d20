// @ts-check

/** Bad fleet-sim options: reported as one line, exit 2. */
export class FleetUsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "FleetUsageError";
  }
}
