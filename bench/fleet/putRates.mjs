// @ts-check

/** S3's documented floor: at least 3 500 PUT/COPY/POST/DELETE requests per second per partitioned prefix. */
export const S3_PUTS_PER_SECOND_PER_PREFIX = 3500;

/**
 * @typedef {object} PutRate
 * @property {number} puts PutObject requests answered 200
 * @property {number} meanPerS over the measured span
 * @property {number} peakPerS the busiest whole second
 */

/**
 * @param {readonly number[]} times epoch ms of each PUT
 * @param {number} spanS
 * @returns {PutRate}
 */
function rateOf(times, spanS) {
  /** @type {Map<number, number>} */
  const perSecond = new Map();
  for (const at of times) {
    const second = Math.floor(at / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  return { puts: times.length, meanPerS: times.length / spanS, peakPerS: Math.max(0, ...perSecond.values()) };
}

/**
 * PutObject rates per key prefix (the key up to and including `depth` "/"-separated
 * segments, e.g. `fleet/i-…/`) and in total, from the S3 request log.
 * @param {readonly { at: Date, method: string, key?: string, status: number }[]} requests
 * @param {{ depth: number, spanS: number }} options
 * @returns {{ total: PutRate, prefixes: (PutRate & { prefix: string })[] }}
 */
export function putRates(requests, { depth, spanS }) {
  /** @type {Map<string, number[]>} */
  const byPrefix = new Map();
  /** @type {number[]} */
  const all = [];
  for (const request of requests) {
    if (request.method !== "PUT" || request.key === undefined || request.status !== 200) continue;
    const prefix = `${request.key.split("/").slice(0, depth).join("/")}/`;
    const at = request.at.getTime();
    all.push(at);
    const times = byPrefix.get(prefix);
    if (times === undefined) byPrefix.set(prefix, [at]);
    else times.push(at);
  }
  const prefixes = [...byPrefix].map(([prefix, times]) => ({ prefix, ...rateOf(times, spanS) })).sort((a, b) => a.prefix.localeCompare(b.prefix));
  return { total: rateOf(all, spanS), prefixes };
}
