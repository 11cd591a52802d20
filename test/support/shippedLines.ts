import { expect } from "vitest";
import { BUCKET, linesInS3, savedCheckpoints, waitFor, type World } from "./world.js";

/** Waits until the bucket holds at least `count` lines of `fileName`. */
export async function waitForLinesInS3(world: World, fileName: string, count: number, timeoutMs: number): Promise<void> {
  await waitFor(
    () => (linesInS3(world).get(fileName)?.length ?? 0) >= count,
    timeoutMs,
    `${count} lines of ${fileName} in S3 (have ${linesInS3(world).get(fileName)?.length ?? 0})`,
  );
}

/** Every written line is in the bucket once, in order, and every object was written exactly once. */
export function expectShippedExactlyOnce(world: World, fileName: string, written: readonly string[]): void {
  const stored = linesInS3(world).get(fileName) ?? [];
  expect(stored.length, "lines in S3").toBe(written.length);
  expect(stored).toEqual(written);
  const rewritten = world.s3
    .listObjects(BUCKET)
    .filter(({ object }) => object.putCount !== 1)
    .map(({ key, object }) => `${key} x${object.putCount}`);
  expect(rewritten, "objects stored more than once").toEqual([]);
}

/** The acknowledged offset of the checkpoint for `path` in state.json (0 when none yet). */
export async function checkpointOffset(world: World, path: string): Promise<number> {
  return (await savedCheckpoints(world)).find((file) => file.path === path)?.offset ?? 0;
}
