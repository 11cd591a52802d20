import type { Logger } from "pino";

/** The logger shape the SDK's credential providers call. */
export interface SdkLogger {
  trace(...content: unknown[]): void;
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

/** Longest SDK message kept: enough to recognise it, too little to carry a document. */
const MAX_MESSAGE_CHARS = 300;

/**
 * `scheme://user:password@` anywhere in a message: the SDK logs the endpoint
 * it resolved from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or a profile's
 * endpoint_url, which ship-logs does not check the way it checks --endpoint.
 * Up to the last "@" before a space: a password may hold "/" or "@".
 */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:[/\\]+)\S*@/gi;

/**
 * What of an SDK message may go to the journal: its first line, URL
 * passwords hidden, at most MAX_MESSAGE_CHARS. A provider's error message
 * can carry what it read: a failing credential_process's is Node's "Command
 * failed: <command>" followed by everything the helper printed on stderr
 * (keys included, for a helper that echoes its output there).
 */
export function sdkMessage(text: string): string {
  const firstLine = text.split(/[\r\n\u0085\u2028\u2029]/, 1)[0] ?? "";
  const hidden = firstLine.replace(URL_USERINFO, "$1<user and password hidden>@");
  return hidden.length <= MAX_MESSAGE_CHARS ? hidden : `${hidden.slice(0, MAX_MESSAGE_CHARS)}…`;
}

/**
 * Adapts pino for the SDK. Only the SDK's own message strings are kept, and
 * only as sdkMessage() trims them: its providers pass raw errors as extra
 * arguments (e.g. "Credential renew failed: ", err), and an error from parsing
 * a credentials body can quote part of that body. The cache reports failures
 * itself, without secrets.
 */
export function sdkLogger(logger: Logger): SdkLogger {
  const firstString = (content: unknown[]): string =>
    sdkMessage(content.find((item): item is string => typeof item === "string") ?? "(no message)");
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
