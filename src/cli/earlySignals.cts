/*
 * CommonJS, so that the executable (bin.cts) holds the signals before the
 * CLI's modules load (150 ms and more on a loaded host), and the commands,
 * ES modules, find the same instance when they take them over.
 */

/** The first SIGTERM or SIGINT that came before a command listened for it. */
let received: NodeJS.Signals | undefined;

const note = (signal: NodeJS.Signals): void => {
  received ??= signal;
};

/**
 * Holds SIGTERM and SIGINT from the first moment: a command installs its
 * own handlers only once its modules are loaded (the SDK's take a few
 * hundred milliseconds, seconds on a loaded host), and until then Node's
 * default would end the process by the signal, with nothing said and no
 * state saved. `systemctl stop` right after a start is such a signal.
 */
function holdSignals(): void {
  process.on("SIGTERM", note);
  process.on("SIGINT", note);
}

/** Stops holding; the signal held meanwhile, for the command to act on as if it had just come. */
function releaseSignals(): NodeJS.Signals | undefined {
  process.off("SIGTERM", note);
  process.off("SIGINT", note);
  return received;
}

export = { holdSignals, releaseSignals };
