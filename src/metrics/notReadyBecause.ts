import type { CredentialCache } from "../credentials/CredentialCache.js";
import type { ShipContext } from "../ship/ShipContext.js";
import type { S3Sink } from "../sink/S3Sink.js";

/** /readyz says "not ready" once uploads have failed without a success for this long. */
const UNREADY_AFTER_FAILING_MS = 120_000;

/** What /readyz looks at. */
export interface ReadinessSources {
  credentials: Pick<CredentialCache, "secondsToExpiry" | "expiredByHostClock">;
  sink: Pick<S3Sink, "failingForMs">;
  ctx: Pick<ShipContext, "saver">;
  stateDir: string;
}

/** Whether uploads can be signed now; without, they wait and none is sent. */
export function hasValidCredentials(credentials: ReadinessSources["credentials"]): boolean {
  const seconds = credentials.secondsToExpiry();
  // Keys that look expired by this host's clock but are in use until S3's clock settles it count as valid.
  return seconds !== undefined && (seconds > 0 || credentials.expiredByHostClock() !== undefined);
}

/** Why /readyz answers 503, or undefined when the daemon can ship. */
export function notReadyBecause({ credentials, sink, ctx, stateDir }: ReadinessSources): string | undefined {
  if (!hasValidCredentials(credentials)) return "no valid credentials";
  // No upload starts before its intent is saved: nothing new ships.
  const saving = ctx.saver.failing;
  if (saving !== undefined) return `cannot save state in ${stateDir} (${saving.code}); nothing new is uploaded`;
  if ((sink.failingForMs ?? 0) > UNREADY_AFTER_FAILING_MS) return "uploads have been failing";
  return undefined;
}
