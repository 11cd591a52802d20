import type { Logger } from "pino";

/** The logger shape the SDK's credential providers call. */
export interface SdkLogger {
  trace(...content: unknown[]): void;
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

/**
 * Adapts pino for the SDK. Only the SDK's own message strings are kept: its
 * providers pass raw errors as extra arguments (e.g. "Credential renew
 * failed: ", err), and an error from parsing a credentials body can quote part
 * of that body. The cache reports failures itself, without secrets.
 */
export function sdkLogger(logger: Logger): SdkLogger {
  const firstString = (content: unknown[]): string =>
    content.find((item): item is string => typeof item === "string") ?? "(no message)";
  return {
    trace: (...content) => logger.trace({ sdk: true }, firstString(content)),
    debug: (...content) => logger.debug({ sdk: true }, firstString(content)),
    info: (...content) => logger.debug({ sdk: true }, firstString(content)),
    // Static-stability warnings are expected during an IMDS outage, which the
    // cache already reports once; keep them out of the info stream.
    warn: (...content) => logger.debug({ sdk: true }, firstString(content)),
    error: (...content) => logger.debug({ sdk: true }, firstString(content)),
  };
}
