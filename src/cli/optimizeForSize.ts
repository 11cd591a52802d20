import { setFlagsFromString } from "node:v8";

/**
 * Asks V8 to favour memory over speed, for the daemon only: it then gives
 * pages back to the system after each full collection. Without it the daemon's
 * RSS climbs for minutes and stays at its highest (78-82 MiB after 5 minutes
 * at 1 000 lines/s), while its live heap stays at 10-12 MiB; with it, RSS falls
 * back 4-5 MiB after each collection, and no more CPU was measured while
 * appending (bench/RESULTS.md). A `--once` keeps V8's defaults: the flag
 * took 9 MiB off its peak but made it 4 % slower, and a backlog is measured
 * by its speed. V8 reads the flag at each collection, so setting it at run
 * time is enough (see capYoungGeneration).
 */
export function optimizeForSize(): void {
  setFlagsFromString("--optimize-for-size");
}
