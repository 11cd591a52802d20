// @ts-check
import { setTimeout as sleep } from "node:timers/promises";
import { startBackgroundMeter } from "./backgroundMeter.mjs";

/**
 * Waits until other processes have used less than `maxCores` of CPU for
 * `windows` one-second windows in a row, or `maxWaitS` has passed. On a shared
 * machine this keeps a colleague's test run out of the figures.
 * @param {{ maxWaitS: number, maxCores?: number, windows?: number }} options
 * @returns {Promise<{ waitedS: number, quiet: boolean }>}
 */
export async function waitForQuiet({ maxWaitS, maxCores = 0.2, windows = 2 }) {
  const started = performance.now();
  let calm = 0;
  while (maxWaitS > 0) {
    const meter = startBackgroundMeter();
    await sleep(1000);
    calm = meter(0).otherS < maxCores ? calm + 1 : 0;
    const waitedS = (performance.now() - started) / 1000;
    if (calm >= windows) return { waitedS, quiet: true };
    if (waitedS >= maxWaitS) return { waitedS, quiet: false };
  }
  return { waitedS: 0, quiet: false };
}
