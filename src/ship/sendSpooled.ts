import { errorMessage } from "../log/errorMessage.js";
import type { SpoolTake } from "../sink/Spool.js";
import type { FileCheckpoint } from "../source/FileCheckpoint.js";
import { isAborted } from "./isAborted.js";
import type { ShipContext } from "./ShipContext.js";

/** How many of a checkpoint's recorded uploads the spool does not hold: lost with its file's bytes. */
export async function notSpooled(ctx: ShipContext, checkpoint: FileCheckpoint): Promise<number> {
  if (checkpoint.pending.length === 0) return 0;
  // A spool that cannot be listed now holds nothing that can be counted on.
  const kept = (await ctx.spool?.keys().catch(() => undefined)) ?? new Set<string>();
  return checkpoint.pending.filter((intent) => !kept.has(intent.key)).length;
}

/**
 * The bytes of log lines a batch holds (before compression), from the
 * `byte-range` its object carries (`START-END`): no intent names it any more.
 */
function rangeBytes(range: string | undefined): number {
  const match = /^(\d+)-(\d+)$/.exec(range ?? "");
  return match ? Math.max(0, Number(match[2]) - Number(match[1])) : 0;
}

/**
 * Sends the spooled batches that no checkpoint's recorded intents name any
 * more: their file was truncated, replaced or deleted while the shipper was
 * stopped, and its checkpoint was let go. (A batch still named by an intent
 * is replayed by its file's shipper, from the spool.) Each is removed once
 * S3 has it. Returns a line per batch that could not be sent (it stays) or
 * that was damaged (its lines are lost). Stops taking batches once `stop` is
 * aborted; an upload the stop cancels is not a failure.
 */
export async function sendSpooled(ctx: ShipContext, stop?: AbortSignal): Promise<string[]> {
  const { spool, logger } = ctx;
  if (spool === undefined) return [];
  const claimed = new Set(ctx.state.files.flatMap((checkpoint) => checkpoint.pending.map((intent) => intent.key)));
  const unclaimed = [...(await spool.keys())].filter((key) => !claimed.has(key));
  if (unclaimed.length === 0) return [];
  // The checkpoints let go must be gone from the saved state before their
  // batches leave the spool: after a crash in between, the next start would
  // find their intents, and neither their bytes nor their batches.
  await ctx.saver.persist();
  const failures: string[] = [];
  for (const key of unclaimed) {
    if (isAborted(stop)) break;
    let taken: SpoolTake;
    try {
      taken = await spool.take(key);
    } catch (error) {
      failures.push(`a batch kept in the spool (${key}) cannot be read now: ${errorMessage(error)}`);
      continue;
    }
    // Absent: a file's shipper replayed it meanwhile (its intent acknowledged, then removed here).
    if (taken.kind === "absent") continue;
    if (taken.kind === "damaged") {
      failures.push(`a batch kept in the spool (${key}) was damaged; the lines it held are lost`);
      continue;
    }
    const kept = taken.object;
    const release = await ctx.slots.acquire();
    try {
      await ctx.sink.put(kept);
    } catch (error) {
      if (!ctx.sink.cancelled) failures.push(`a batch kept in the spool (${key}): ${errorMessage(error)}`);
      continue;
    } finally {
      release();
    }
    logger.info({ key }, "sent a batch the spool kept for a file truncated, replaced or deleted while stopped");
    // Left behind, the entry is sent again by a later pass: the same object under the same key.
    await spool.remove(key).catch((error: unknown) => logger.warn({ key, err: errorMessage(error) }, "cannot remove a sent batch from the spool"));
    ctx.stats.lines += Number(kept.metadata["lines"] ?? 0);
    ctx.stats.bytesIn += rangeBytes(kept.metadata["byte-range"]);
    ctx.stats.bytesOut += kept.body.length;
    ctx.stats.objects += 1;
  }
  return failures;
}
