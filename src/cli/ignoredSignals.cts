import type { Logger } from "pino";

/*
 * CommonJS, so that the executable (bin.cts) ignores these signals before
 * the CLI's modules load, and the CLI, an ES module, finds the same instance
 * to say them through its logger.
 */

/**
 * Signals ship-logs does not act on, each held off Node's default, which is
 * worse than nothing: SIGHUP and SIGUSR2 end the process by the signal (no
 * stop flush; after a SIGHUP systemd's Restart=on-failure does not restart
 * it), and SIGUSR1 opens Node's inspector on 127.0.0.1:9229, where any local
 * user could run code inside the daemon, its instance-profile keys included.
 * A logrotate postrotate that sends HUP or USR1 "to reopen the logs" is the
 * usual source: ship-logs has no log file to reopen and no reload.
 */
const IGNORED: readonly NodeJS.Signals[] = ["SIGHUP", "SIGUSR1", "SIGUSR2"];

let logger: Logger | undefined;

const onIgnored = (signal: NodeJS.Signals): void => {
  logger?.info({ signal }, "signal ignored: ship-logs has no reload (restart it to apply a changed configuration) and no log file to reopen");
};

/** From the first moment, before any module that takes time loads. */
function ignoreSignals(): void {
  for (const signal of IGNORED) process.on(signal, onIgnored);
}

/** Once there is a logger: each ignored signal is said. */
function reportIgnoredSignals(to: Logger): void {
  logger = to;
}

export = { ignoreSignals, reportIgnoredSignals };
