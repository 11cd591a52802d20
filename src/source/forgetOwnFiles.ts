import { realpath } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { isWithin } from "./isWithin.js";
import type { FileCheckpoint } from "./FileCheckpoint.js";
import type { ShipState } from "./StateStore.js";

/**
 * Checkpoints of files in the state dir, saved by a release that shipped them
 * as logs (a glob covering the state dir): they are never sources now, and,
 * kept, each start would look for a state.json long replaced and warn that it
 * "is gone". Dropped once, said once; batches of theirs in the spool still go
 * (sendSpooled), under the keys they were given. One realpath per directory.
 */
export async function forgetOwnFiles(state: ShipState, stateDir: string, logger: Logger): Promise<void> {
  const realDirs = new Map<string, string>();
  const own: string[] = [];
  for (let index = state.files.length - 1; index >= 0; index--) {
    const checkpoint = state.files[index] as FileCheckpoint;
    const dir = checkpoint.realDir ?? dirname(checkpoint.path);
    let real = realDirs.get(dir);
    if (real === undefined) {
      real = await realpath(dir).catch(() => dir);
      realDirs.set(dir, real);
    }
    if (!isWithin(real, stateDir)) continue;
    own.push(checkpoint.path);
    state.files.splice(index, 1);
  }
  if (own.length > 0) logger.info({ stateDir, paths: own }, "forgot the checkpoints of ship-logs' own files in the state directory, which an earlier release shipped as logs");
}
