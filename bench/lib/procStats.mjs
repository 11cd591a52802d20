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

/**
 * CPU seconds per thread name of a live process ("node" for the main thread,
 * "libuv-worker" for the pool where zlib and fs run, "V8Worker" for GC and
 * compiler helpers).
 * @param {number} pid
 * @returns {Map<string, number>} keyed by "tid:name": the caller keeps each thread's last reading
 */
export function threadCpu(pid) {
  /** @type {Map<string, number>} */
  const byTid = new Map();
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byTid;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      byTid.set(`${tid}:${name}`, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byTid;
}
