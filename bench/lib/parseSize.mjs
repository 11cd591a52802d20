// @ts-check
import { BenchUsageError } from "./BenchUsageError.mjs";

const UNITS = /** @type {Record<string, number>} */ ({ "": 1 << 20, k: 1 << 10, kib: 1 << 10, m: 1 << 20, mib: 1 << 20, g: 1 << 30, gib: 1 << 30 });

/**
 * "256", "256MiB", "1GiB", "4g" → bytes; a bare number is MiB.
 * @param {string} text
 * @param {string} option for the error message
 * @returns {number}
 */
export function parseSize(text, option) {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? "").toLowerCase()];
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new BenchUsageError(`${option}: expected a size such as 256, 256MiB or 1GiB, got ${JSON.stringify(text)}`);
  }
  return Math.round(Number(match[1]) * unit);
}
