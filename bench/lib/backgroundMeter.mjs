// @ts-check
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/stat; Linux reports USER_HZ, 100 on every mainstream build. */
const USER_HZ = 100;

/** CPU seconds the whole machine has been busy, and stolen by the hypervisor. */
function machineCpu() {
  const first = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const [user, nice, system, , , irq, softirq, steal] = first.trim().split(/\s+/).slice(1).map(Number);
  return {
    busyS: ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0)) / USER_HZ,
    stealS: (steal ?? 0) / USER_HZ,
  };
}

/**
 * @typedef {object} Background
 * @property {number} otherS CPU seconds used by processes other than the bench and the measured program
 * @property {number} stealS CPU seconds the hypervisor gave to other guests
 */

/**
 * Measures what else ran on the machine meanwhile. Other engineers' test runs
 * on a shared 2-core box skew every figure; a run that reports seconds of
 * foreign CPU should be repeated.
 * @returns {(programCpuS: number) => Background} call when the measured work ends
 */
export function startBackgroundMeter() {
  const machine = machineCpu();
  const own = process.cpuUsage();
  return (programCpuS) => {
    const now = machineCpu();
    const ownUsage = process.cpuUsage(own);
    const ownS = (ownUsage.user + ownUsage.system) / 1e6;
    return {
      otherS: Math.max(0, now.busyS - machine.busyS - ownS - programCpuS),
      stealS: now.stealS - machine.stealS,
    };
  };
}
