// @ts-check
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/** Kernel clock ticks per second, the unit of utime/stime in /proc/PID/stat. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * user + system CPU seconds of a live process, all its threads (zlib's pool included).
 * Undefined once the process is gone.
 * @param {number} pid
 * @returns {number | undefined}
 */
export function cpuSeconds(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * Resident set size now and its peak (VmHWM), in KiB. Undefined once the process is gone.
 * @param {number} pid
 * @returns {{ rssKiB: number, peakKiB: number } | undefined}
 */
export function memory(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const field = (/** @type {string} */ name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? Number.NaN);
  return { rssKiB: field("VmRSS"), peakKiB: field("VmHWM") };
}

/**
 * The first child of `pid` (the program a wrapper such as /usr/bin/time runs).
 * @param {number} pid
 * @returns {number | undefined}
 */
export function firstChild(pid) {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    if (children !== "") return Number(children.split(" ")[0]);
    return undefined;
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: scan for the parent id.
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
    return undefined;
  }
}
