import type { Logger } from "pino";
import type { ShipLogsConfig } from "../config/ShipLogsConfig.js";
import { errorMessage } from "../log/errorMessage.js";
import { shipOnce, type OnceSummary } from "../ship/shipOnce.js";
import { FatalError } from "./FatalError.js";
import { wirePipeline } from "./wirePipeline.js";

/** `--once` gives up on an object after about half a minute of failures and says so (exit 1). */
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

/** Ships everything pending, prints one summary line on stdout, returns the exit code. */
export async function runOnce(config: ShipLogsConfig, logger: Logger): Promise<number> {
  const pipeline = await wirePipeline(config, logger, ONCE_RETRY);
  try {
    // Fail fast and clearly when no credentials can be had, rather than per object.
    await pipeline.credentials.get();
  } catch (error) {
    throw new FatalError(errorMessage(error));
  } 
  try {
    const summary = await shipOnce(pipeline.ctx, config.watch);
    process.stdout.write(`ship-logs: shipped ${formatSummary(summary)}\n`);
    if (summary.pendingBytes > 0) {
      logger.info({ pendingBytes: summary.pendingBytes }, "partial lines without a newline stay pending");
    }
    if (summary.failures.length > 0) {
      const more = summary.failures.length > 1 ? ` (and ${summary.failures.length - 1} more)` : "";
      process.stderr.write(`ship-logs: could not ship everything: ${summary.failures[0]}${more}\n`);
      return 1;
    }
    return 0;
  } finally {
    pipeline.client.destroy();
  }
}
