// @ts-check

/** A request body claimed aws-chunked encoding but does not follow it. */
export class AwsChunkedError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "AwsChunkedError";
  }
}
