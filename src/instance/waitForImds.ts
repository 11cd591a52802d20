import type { Logger } from "pino";
import { describeImdsError } from "../credentials/describeCredentialError.js";
import type { InstanceMetadata } from "../credentials/instanceMetadata.js";
import { backoffMs } from "../sink/backoff.js";
import { sleep } from "../time/sleep.js";

/**
 * The daemon can neither name an object (the instance id is in every key) nor
 * sign a request before IMDS answers. Exiting would leave the retrying to a
 * restart loop that systemd abandons after a few tries, while IMDS may be
 * late for good reasons (instance still booting, endpoint re-enabled, hop
 * limit raised). So wait for it: say why once, then try again with capped
 * backoff, until IMDS answers or `signal` says stop. (`--once` does not
 * wait: it exits 1 with the reason.)
 */
export async function waitForImds(metadata: InstanceMetadata, endpoint: string, logger: Logger, signal: AbortSignal, maxWaitMs = 30_000): Promise<void> {
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    try {
      await metadata.get("meta-data/instance-id", signal);
      if (attempt > 0) logger.info({ attempts: attempt + 1 }, "instance metadata service answers; starting");
      return;
    } catch (error) {
      if (signal.aborted) return;
      if (attempt === 0) {
        logger.error(
          { reason: describeImdsError(error, endpoint) },
          "cannot read the instance id from the instance metadata service; retrying until it answers (nothing is shipped meanwhile, nothing is lost)",
        );
      }
      await sleep(backoffMs(attempt, 1_000, maxWaitMs), signal);
    }
  }
}
