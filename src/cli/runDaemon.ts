import type { Server } from "node:http";
import type { Logger } from "pino";
import { OptionValueError, type ShipLogsConfig } from "../config/index.js";
import { instanceMetadata } from "../credentials/instanceMetadata.js";
import { LifecycleWatcher } from "../lifecycle/LifecycleWatcher.js";
import type { ShipMetrics } from "../metrics/ShipMetrics.js";
import { Daemon } from "../ship/Daemon.js";
import { emptyStats } from "../ship/ShipContext.js";
import { MAX_OPEN_FILES, openFilesCap, openFilesLimit } from "../source/openFilesCap.js";
import { StatusWriter } from "../status/StatusWriter.js";
import earlySignals from "./earlySignals.cjs";
import { FatalError } from "../errors/FatalError.js";
import { hasValidCredentials, notReadyBecause } from "../metrics/notReadyBecause.js";
import { optimizeForSize } from "./optimizeForSize.js";
import { waitForImds } from "../instance/waitForImds.js";
import { wirePipeline, type Pipeline } from "./wirePipeline.js";

/** The daemon never gives up on a batch: nothing is dropped, the files wait. */
const DAEMON_RETRY = { maxAttempts: Number.POSITIVE_INFINITY, failFastOnPermanent: false, baseMs: 1_000, maxMs: 60_000 } as const;


/**
 * The metrics server, up, or one line naming the address (an OptionValueError for
 * a port it may not use, a FatalError for one taken or an address not up):
 * the operator's to fix, not a crash with a stack.
 */
async function listenForMetrics(address: string, metrics: ShipMetrics, pipeline: Pipeline, logger: Logger): Promise<Server> {
  const { serveMetrics } = await import("../metrics/serveMetrics.js");
  try {
    return await serveMetrics(
      address,
      metrics,
      { notReadyBecause: () => notReadyBecause(pipeline) },
      logger,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    // A port below 1024 (the unit grants no capability) is the
    // configuration's: exit 2, which systemd does not restart. A port another
    // process holds may come free, and an address may not be up yet at boot
    // (an ENI attached late, IPv6 still in duplicate address detection):
    // exit 1, restarted.
    if (code === "EACCES") {
      throw new OptionValueError("metricsListen", address, "not allowed to listen there (EACCES): use a port of 1024 or more");
    }
    throw new FatalError(`cannot serve metrics on ${address}: ${code}`);
  }
}

/** Runs until SIGTERM/SIGINT; a second signal exits at once (every state save is atomic). */
export async function runDaemon(config: ShipLogsConfig, logger: Logger): Promise<number> {
  optimizeForSize();
  // Listening from the first moment: a SIGTERM while the daemon waits for
  // IMDS or starts (it logs "watching" before the lifecycle watcher, the
  // status file and the metrics are up) is a stop like any other: pending
  // lines go up and the exit is 0, not Node's default exit by signal.
  // A second signal exits at once (every state save is atomic), during the
  // start too: there, a handler that listened once left it to Node's
  // default, an end by the signal with nothing said.
  const stopping = new AbortController();
  let requestStop: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    requestStop = (signal) => {
      if (stopping.signal.aborted) {
        logger.warn("second signal: exiting now; unfinished uploads are replayed at the next start");
        process.exit(1);
      }
      stopping.abort();
      resolve(signal);
    };
  });
  process.on("SIGTERM", requestStop);
  process.on("SIGINT", requestStop);
  const early = earlySignals.releaseSignals();
  if (early !== undefined) requestStop(early);
  // The metrics read the pipeline lazily: they are built first so that the
  // sink can report every upload to them from the start. Their modules load
  // only when asked for: prom-client is a few MiB a daemon without them need not hold.
  let pipeline: Pipeline | undefined;
  let daemon: Daemon | undefined;
  let lifecycle: LifecycleWatcher | undefined;
  const metrics: ShipMetrics | undefined = config.metricsListen
    ? new (await import("../metrics/ShipMetrics.js")).ShipMetrics({
        stats: () => pipeline?.ctx.stats ?? emptyStats(),
        files: () => daemon?.files() ?? [],
        measureFiles: async () => daemon?.measure(),
        unreadable: () => daemon?.unreadableNow() ?? [],
        credentialSecondsToExpiry: () => pipeline?.credentials.secondsToExpiry(),
        imdsFailures: () => pipeline?.credentials.failedFetches ?? 0,
        urgent: () => daemon?.isUrgent ?? false,
        notice: () => lifecycle?.notice,
      })
    : undefined;
  if (config.credentials === "imds") {
    await waitForImds(instanceMetadata({ endpoint: config.imdsEndpoint }), config.imdsEndpoint, logger, stopping.signal);
    if (stopping.signal.aborted) {
      logger.info({ signal: await stopRequested }, "stopped before the instance metadata service answered; nothing was shipped");
      return 0;
    }
  }
  pipeline = await wirePipeline(config, logger, DAEMON_RETRY, metrics);
  const { credentials, sink } = pipeline;
  const limit = await openFilesLimit();
  const maxOpenFiles = openFilesCap(limit);
  if (maxOpenFiles < MAX_OPEN_FILES) {
    logger.warn(
      { openFilesLimit: limit, maxOpenFiles },
      "the open-file limit is low (LimitNOFILE=, ulimit -n): fewer files are kept open at once; the others are opened when written",
    );
  }
  daemon = new Daemon(pipeline.ctx, { patterns: config.watch, excludedDirs: [pipeline.stateDir], flushIntervalMs: config.flushIntervalMs, maxOpenFiles });
  // Credentials are fetched on first use; a failure here is logged, not fatal:
  // the daemon keeps retrying until IMDS answers (e.g. a role attached later).
  await credentials.get().catch(() => undefined);
  credentials.keepFresh();
  const wired = pipeline;
  const running = daemon;
  let status: StatusWriter | undefined;
  let server: Server | undefined;
  const shutdown = async (): Promise<void> => {
    lifecycle?.stop();
    server?.close();
    await running.stop(config.stopTimeoutMs, wired.abort);
    await status?.stop();
    credentials.stopKeepingFresh();
    wired.client.destroy();
  };
  try {
    await running.start();
    lifecycle = new LifecycleWatcher({
      metadata: wired.metadata,
      logger,
      flushOnRebalance: config.flushOnRebalance,
      onTerminating: (notice) => running.setUrgent(`${notice.kind} (${notice.detail}${notice.deadline ? `, at ${notice.deadline}` : ""})`),
      onResumed: () => running.clearUrgent(),
    });
    lifecycle.start();
    status = new StatusWriter(
      config.stateDir,
      async () => {
        // The files' sizes, measured now: the polls stop reading while uploads wait.
        await running.measure();
        return {
          mode: running.isUrgent ? "urgent" : "normal",
          notice: lifecycle?.notice,
          credentialSecondsToExpiry: credentials.secondsToExpiry(),
          credentialsValid: hasValidCredentials(credentials),
          failingSince: sink.failingSince === undefined ? undefined : new Date(sink.failingSince).toISOString(),
          files: running.files(),
          unreadable: running.unreadableNow(),
        };
      },
      () => wired.ctx.stats.objects,
      logger,
    );
    status.start();
    if (metrics && config.metricsListen) server = await listenForMetrics(config.metricsListen, metrics, wired, logger);
  } catch (error) {
    // A start that fails halfway must not leave the watchers and timers
    // running (the process would never exit) with the signals still caught
    // (a SIGTERM would then do nothing): stop what started, then report.
    process.off("SIGTERM", requestStop);
    process.off("SIGINT", requestStop);
    await shutdown();
    throw error;
  }

  const signal = await stopRequested;
  logger.info({ signal, stopTimeoutMs: config.stopTimeoutMs }, "stopping: uploading what is pending");
  await shutdown();
  logger.info("stopped");
  return 0;
}
