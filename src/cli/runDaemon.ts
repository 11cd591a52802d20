import type { Logger } from "pino";
import type { ShipLogsConfig } from "../config/index.js";
import { LifecycleWatcher } from "../lifecycle/LifecycleWatcher.js";
import { Daemon } from "../ship/Daemon.js";
import { wirePipeline } from "./wirePipeline.js";

/** The daemon never gives up on a batch: nothing is dropped, the files wait. */
const DAEMON_RETRY = { maxAttempts: Number.POSITIVE_INFINITY, failFastOnPermanent: false, baseMs: 1_000, maxMs: 60_000 } as const;

/** Runs until SIGTERM/SIGINT; a second signal exits at once (every state save is atomic). */
export async function runDaemon(config: ShipLogsConfig, logger: Logger): Promise<number> {
  const pipeline = await wirePipeline(config, logger, DAEMON_RETRY);
  const daemon = new Daemon(pipeline.ctx, { patterns: config.watch, flushIntervalMs: config.flushIntervalMs });
  // Credentials are fetched on first use; a failure here is logged, not fatal:
  // the daemon keeps retrying until IMDS answers (e.g. a role attached later).
  await pipeline.credentials.get().catch(() => undefined);
  await daemon.start();
  const lifecycle = new LifecycleWatcher({
    metadata: pipeline.metadata,
    logger,
    flushOnRebalance: config.flushOnRebalance,
    onTerminating: (notice) => daemon.setUrgent(`${notice.kind} (${notice.detail}${notice.deadline ? `, at ${notice.deadline}` : ""})`),
  });
  lifecycle.start();

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  logger.info({ signal, stopTimeoutMs: config.stopTimeoutMs }, "stopping: uploading what is pending");
  const again = (): void => {
    logger.warn("second signal: exiting now; unfinished uploads are replayed at the next start");
    process.exit(1);
  };
  process.once("SIGTERM", again);
  process.once("SIGINT", again);
  lifecycle.stop();
  await daemon.stop(config.stopTimeoutMs, pipeline.abort);
  pipeline.client.destroy();
  logger.info("stopped");
  return 0;
}
