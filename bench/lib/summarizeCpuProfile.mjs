// @ts-check
import { readFileSync } from "node:fs";

/**
 * @typedef {object} ProfileNode
 * @property {number} id
 * @property {{ functionName: string, url: string, lineNumber: number }} callFrame
 */

/**
 * @typedef {object} CpuProfile
 * @property {ProfileNode[]} nodes
 * @property {number[]} samples
 * @property {number[]} timeDeltas microseconds since the previous sample
 */

/**
 * @typedef {object} ProfileSummary
 * @property {number} totalMs sampled time of the main thread
 * @property {Array<{ name: string, ms: number }>} byFunction self time, largest first
 * @property {Array<{ name: string, ms: number }>} byArea self time per package / product dir / engine bucket
 */

/** Where a function lives, coarse enough to point at a culprit. @param {string} url @param {string} fn */
function areaOf(url, fn) {
  if (url === "") return fn.startsWith("(") ? fn : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? url;
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  const product = /\/dist\/(.+)\/[^/]+$/.exec(url);
  if (product) return `product ${product[1]}/`;
  return url;
}

/** @param {Map<string, number>} totals @param {number} limit */
function top(totals, limit) {
  return [...totals]
    .map(([name, us]) => ({ name, ms: us / 1000 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit);
}

/**
 * Self time by function and by area from a `node --cpu-prof` file: where the
 * main thread spends its time (zlib work on libuv's pool is not in it).
 * @param {string} file
 * @param {number} [limit]
 * @returns {ProfileSummary}
 */
export function summarizeCpuProfile(file, limit = 15) {
  /** @type {CpuProfile} */
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  /** @type {Map<string, number>} */
  const byFunction = new Map();
  /** @type {Map<string, number>} */
  const byArea = new Map();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[index] ?? 0;
    if (!node) return;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === "" ? "" : ` ${url.replace(/^.*\/(node_modules|dist)\//, "$1/")}:${lineNumber + 1}`;
    const name = `${functionName || "(anonymous)"}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  });
  return { totalMs: total / 1000, byFunction: top(byFunction, limit), byArea: top(byArea, limit) };
}

/** @param {ProfileSummary} summary @returns {string} */
export function formatProfileSummary(summary) {
  /** @param {{ name: string, ms: number }} row */
  const line = (row) => `    ${row.ms.toFixed(0).padStart(7)} ms ${((100 * row.ms) / summary.totalMs).toFixed(1).padStart(5)} %  ${row.name}`;
  return [
    `  main thread sampled: ${summary.totalMs.toFixed(0)} ms`,
    "  self time by area:",
    ...summary.byArea.map(line),
    "  self time by function:",
    ...summary.byFunction.map(line),
  ].join("\n");
}
