import type { Logger } from "pino";
import type { FileCheckpoint } from "../source/FileCheckpoint.js";

/**
 * Said when a file taken out of --watch sends the uploads a run recorded
 * while it was watched (their keys are decided) and nothing past them: in
 * place, renamed by logrotate, or from a copytruncate's copy.
 */
export function logUnwatchedReplay(logger: Logger, path: string, checkpoint: FileCheckpoint): void {
  const uploads = checkpoint.pending.length;
  logger.info({ path, uploads }, `file no longer matched by --watch: sending its ${uploads} recorded upload(s), then leaving it`);
}
