import type { Logger } from "pino";
import { recordedEnd, type FileCheckpoint } from "../source/FileCheckpoint.js";

/**
 * A watched file's checkpoint dropped because the file is no longer at its
 * path nor found by identity beside it, while nothing was reading it (the
 * shipper stopped): moved into
 * another directory (logrotate's `olddir`) or deleted. The checkpoint does not
 * record the size the file last had, so whether it held lines past what was
 * read is not known; if it did, they are lost, and the operator must hear it.
 * Not said of a rotated file (its deletion is the end of every rotation, and
 * it was read to its end while followed) nor of one this run read to its end
 * (let go once drained, or closed drained to save descriptors).
 */
export function warnGoneUnread(logger: Logger, checkpoint: FileCheckpoint): void {
  const readTo = recordedEnd(checkpoint);
  logger.warn(
    { path: checkpoint.path, readTo },
    `file is gone: moved out of reach (into another directory, such as logrotate's olddir) or deleted while ship-logs was not reading it; ` +
      `any lines written to it after byte ${readTo} could not be shipped. If rotated files go to another directory, ` +
      `add their uncompressed names there to --watch (README, limits)`,
  );
}
