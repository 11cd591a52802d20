import type { FileCheckpoint } from "./FileCheckpoint.js";
import { fingerprintOf, readHead } from "./fingerprint.js";
import type { OpenFile } from "./openFile.js";

/**
 * After an acknowledged upload, widen the fingerprint to the shipped bytes
 * (up to its limit): they are complete lines that will not change unless the
 * file is truncated or replaced, which is exactly what it must detect.
 * The head is read now, not when it was shipped: if the file was truncated in
 * between (and the daemon has not seen it yet), it is shorter, or no longer
 * starts as fingerprinted, and the fingerprint stays as it was. Widening it
 * to the new content would lose the copy of a copytruncate, which is found by
 * the head that was shipped.
 */
export async function refreshFingerprint(file: OpenFile, checkpoint: FileCheckpoint, limit: number): Promise<void> {
  if (checkpoint.fingerprintLength >= limit || checkpoint.offset <= checkpoint.fingerprintLength) return;
  const wanted = Math.min(checkpoint.offset, limit);
  const head = await readHead(file.handle, wanted);
  if (head.length < wanted) return;
  if (fingerprintOf(head.subarray(0, checkpoint.fingerprintLength)).hash !== checkpoint.fingerprint) return;
  const print = fingerprintOf(head);
  checkpoint.fingerprint = print.hash;
  checkpoint.fingerprintLength = print.length;
}
