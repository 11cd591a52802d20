/**
 * A usage or configuration error: the CLI prints `message` as the one line on
 * stderr and exits 2 (SPEC "Exit codes"), so the message names the source
 * (flag, environment variable or config file) and the offending key and value.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  /**
   * @param detail what is wrong, without the `ship-logs: ` prefix
   * @param subject the offending flag, variable, file key, file path or argument, as given
   */
  constructor(
    detail: string,
    readonly subject: string,
    options?: ErrorOptions,
  ) {
    // Values are quoted by the callers; this is the last guard of the "one line"
    // promise, for a path or a library reason that carries a line break.
    super(`ship-logs: ${detail.replace(/[\r\n\u0085\u2028\u2029]+/g, " ")}`, options);
  }
}
