// @ts-check
import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { availableParallelism, cpus, release, totalmem } from "node:os";

/**
 * @typedef {object} MachineInfo
 * @property {number} nproc
 * @property {string} cpuModel
 * @property {string} node
 * @property {string} kernel
 * @property {number} memoryGiB
 * @property {string} product git description of the product checkout, when it is one
 */

/** @param {string} productDir @returns {MachineInfo} */
export function machineInfo(productDir) {
  /** @param {string[]} args */
  const git = (args) => execFileSync("git", ["-C", productDir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  let product = `${productDir} (not a git checkout)`;
  try {
    // Only the product's own checkout: a copy inside another repository would report that one.
    if (realpathSync(git(["rev-parse", "--show-toplevel"])) === realpathSync(productDir)) {
      product = `${productDir} at ${git(["describe", "--always", "--dirty", "--abbrev=12"])}`;
    }
  } catch {
    // e.g. a copy made with `git archive`: whoever made it knows the commit
  }
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    kernel: release(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    product,
  };
}

/** @param {MachineInfo} info */
export function formatMachineInfo(info) {
  return `machine: nproc=${info.nproc}, CPU "${info.cpuModel}", ${info.memoryGiB} GiB RAM, node ${info.node}, Linux ${info.kernel}; product ${info.product}`;
}
