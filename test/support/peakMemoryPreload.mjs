// Preloaded into a ship-logs process (NODE_OPTIONS=--import=<this file>): when the process
// exits, writes its peak resident set size (VmHWM from /proc/self/status, in KiB) to the file
// named by TEST_PEAK_MEMORY_FILE. Read at exit, so nothing the process did is missed.
import { readFileSync, writeFileSync } from "node:fs";

const target = process.env["TEST_PEAK_MEMORY_FILE"];
if (target !== undefined) {
  process.on("exit", () => {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    writeFileSync(target, match?.[1] ?? "");
  });
}
