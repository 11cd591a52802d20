import type { Logger } from "pino";
import type { ShipLogsConfig } from "../config/ShipLogsConfig.js";
import { errorMessage } from "../log/errorMessage.js";
import { shipOnce, type OnceSummary } from "../ship/shipOnce.js";
import earlySignals from "./earlySignals.cjs";
import { FatalError } from "../errors/FatalError.js";
import { couldNotShipLine } from "./failureReport.js";
import { wirePipeline, type Pipeline } from "./wirePipeline.js";
import { writeOutput } from "./writeOutput.js";

/**
 * `--once` gives up on an object after six tries and says so (exit 1). The
 * five waits between them (equal jitter under ceilings of 0.5, 1, 2, 4 and
 * 8 s) add up to 7.75-15.5 s, and the SDK tries each of the six up to three
 * times, its own waits under 0.15 s a try for a 5xx and under 3 s when
 * throttled: about 8-16.5 s from first to last request against an S3 that answers
 * 5xx at once, at most 34 s against one that throttles, plus the time the
 * requests themselves take.
 */
const ONCE_RETRY = { maxAttempts: 6, failFastOnPermanent: true, baseMs: 500, maxMs: 8_000 } as const;

export function formatSummary(summary: OnceSummary): string {
  return [
    `files=${summary.files}`,
    `lines=${summary.lines}`,
    `bytes_in=${summary.bytesIn}`,
    `bytes_out=${summary.bytesOut}`,
    `objects=${summary.objects}`,
    `pending_bytes=${summary.pendingBytes}`,
    `failures=${summary.failures.length}`,
  ].join(" ");
}

/**
 * SIGTERM/SIGINT, as for the daemon (SPEC "Delivery"): stop reading, let the
 * uploads under way finish within --stop-timeout, save state, exit 0. Without
 * this, Node's default ends the process at once (exit 143 or 130, and nothing
 * said). A second signal exits at once: every state save is atomic.
 */
function listenForStop(logger: Logger, stopTimeoutMs: number, cancelUploads: () => void): { readonly signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      logger.warn("second signal: exiting now; unfinished uploads are replayed at the next run");
      process.exit(1);
    }
    logger.info({ signal, stopTimeoutMs }, "stopping: finishing the uploads under way");
    stop.abort(signal);
    timer = setTimeout(() => {
      logger.warn({ timeoutMs: stopTimeoutMs }, "stop timeout reached; unfinished uploads are replayed at the next run");
      cancelUploads();
    }, stopTimeoutMs);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const early = earlySignals.releaseSignals();
  if (early !== undefined) onSignal(early);
  return {
    signal: stop.signal,
    dispose: () => {
      clearTimeout(timer);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    },
  };
}

/**
 * `task`'s result, or undefined once `signal` is aborted first: a stop does
 * not wait for IMDS at start or for a credential provider. A rejection after
 * the stop is nobody's to report.
 */
async function untilAborted<T>(task: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return undefined;
  let onAbort = (): void => undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  task.catch(() => undefined);
  try {
    return await Promise.race([task, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Ships everything pending, prints one summary line on stdout, returns the exit code. */
export async function runOnce(config: ShipLogsConfig, logger: Logger): Promise<number> {
  let pipeline: Pipeline | undefined;
  const stop = listenForStop(logger, config.stopTimeoutMs, () => pipeline?.abort.abort());
  const stopped = (): number => {
    // What the stop abandoned (IMDS, a hung credential_process) may hold the
    // process open a moment longer: shipLogs ends it.
    writeOutput(2, `ship-logs: stopped by ${String(stop.signal.reason)}; what was not shipped goes at the next run\n`);
    return 0;
  };
  try {
    pipeline = await untilAborted(wirePipeline(config, logger, ONCE_RETRY), stop.signal);
    if (pipeline === undefined) return stopped();
    try {
      // Fail fast and clearly when no credentials can be had, rather than per object.
      await untilAborted(pipeline.credentials.get(), stop.signal);
    } catch (error) {
      throw new FatalError(errorMessage(error));
    }
    if (stop.signal.aborted) return stopped();
    const summary = await shipOnce(pipeline.ctx, config.watch, stop.signal, [pipeline.stateDir]);
    writeOutput(1, `ship-logs: shipped ${formatSummary(summary)}\n`);
    if (summary.pendingBytes > 0) {
      logger.info({ pendingBytes: summary.pendingBytes }, "partial lines without a newline stay pending");
    }
    // Failures of S3's or of a file's stand, stop or not; uploads the stop cancelled are not among them.
    if (summary.failures.length > 0) {
      writeOutput(2, `${couldNotShipLine(summary.failures)}\n`);
      return 1;
    }
    return stop.signal.aborted ? stopped() : 0;
  } finally {
    stop.dispose();
    pipeline?.client.destroy();
  }
}
