// @ts-check
import { gunzipSync } from "node:zlib";

/**
 * The slice of a fake-S3 listing the check reads.
 * @typedef {{ key: string, object: { body: Buffer, putCount: number, accessKeyId: string } }} Listed
 * @typedef {{ method: string, key?: string, status: number, accessKeyId?: string }} Request
 */

/**
 * One simulated host, as the check sees it.
 * @typedef {object} HostRecord
 * @property {string} tag the first word of its lines
 * @property {string} instanceId
 * @property {(accessKeyId: string) => boolean} issued whether its IMDS issued this access key
 * @property {readonly { name: string, written: number }[]} logs
 */

/**
 * @typedef {object} FleetVerification
 * @property {boolean} ok
 * @property {string[]} problems the first few, one line each
 * @property {number} problemCount
 * @property {number} linesWritten
 * @property {number} linesShipped
 * @property {number} missing lines written and never stored
 * @property {number} duplicated extra copies of stored lines
 * @property {number} objects
 * @property {number} collisions keys stored twice, written by two hosts, or under another instance's prefix
 * @property {number} instancePrefixes distinct instance ids that keys start with
 */

const MAX_LISTED = 20;

/** @param {string} text */
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Every line every host wrote is in the bucket exactly once; every key is
 * written once, by the host whose instance id it starts with; keys spread
 * over one prefix per instance. Expects the default layout under `prefix`.
 * @param {{ objects: readonly Listed[], requests: readonly Request[], hosts: readonly HostRecord[], prefix: string }} input
 * @returns {FleetVerification}
 */
export function verifyFleet({ objects, requests, hosts, prefix }) {
  /** @type {string[]} */
  const problems = [];
  let problemCount = 0;
  /** @param {string} text */
  const problem = (text) => {
    problemCount += 1;
    if (problems.length < MAX_LISTED) problems.push(text);
  };
  const keyShape = new RegExp(`^${escapeRegExp(prefix)}([^/]+)/(\\d{4}-\\d\\d-\\d\\d)/([^/]+)/([0-9a-f]+)-(\\d{15})-(\\d{15})\\.log\\.gz$`);
  const hostOfKey = (/** @type {string} */ accessKeyId) => hosts.find((host) => host.issued(accessKeyId));
  /** @type {Map<string, Map<string, number[]>>} host tag -> log name -> copies per sequence number */
  const copies = new Map(hosts.map((host) => [host.tag, new Map(host.logs.map((log) => [log.name, new Array(log.written).fill(0)]))]));

  // A key answered 200 for two hosts would be a collision, even if the second write looked identical.
  /** @type {Map<string, Set<string>>} */
  const writersOfKey = new Map();
  for (const request of requests) {
    if (request.method !== "PUT" || request.key === undefined || request.status !== 200 || request.accessKeyId === undefined) continue;
    const writer = hostOfKey(request.accessKeyId)?.tag ?? `unknown key ${request.accessKeyId}`;
    const writers = writersOfKey.get(request.key) ?? new Set();
    writers.add(writer);
    writersOfKey.set(request.key, writers);
  }
  let collisions = 0;
  for (const [key, writers] of writersOfKey) {
    if (writers.size === 1) continue;
    collisions += 1;
    problem(`${key}: written by ${[...writers].join(" and ")}`);
  }

  const instances = new Set();
  let linesShipped = 0;
  for (const { key, object } of objects) {
    const shape = keyShape.exec(key);
    const writer = hostOfKey(object.accessKeyId);
    if (shape === null || writer === undefined) {
      problem(`${key}: ${shape === null ? "not a default-layout key" : "written with a key no fake IMDS issued"}`);
      continue;
    }
    const [, instance = "", , file = "", , start = "", end = ""] = shape;
    instances.add(instance);
    if (object.putCount !== 1 || instance !== writer.instanceId) collisions += 1;
    if (object.putCount !== 1) problem(`${key}: stored ${object.putCount} times`);
    if (instance !== writer.instanceId) problem(`${key}: written by ${writer.instanceId}, under another instance's prefix`);
    const body = gunzipSync(object.body);
    if (body.length !== Number(end) - Number(start)) problem(`${key}: holds ${body.length} bytes for a range of ${Number(end) - Number(start)}`);
    const text = body.toString("utf8");
    if (!text.endsWith("\n")) problem(`${key}: does not end with a newline`);
    let previous = -1;
    for (const line of text.slice(0, -1).split("\n")) {
      const [tag = "", name = "", seqText = ""] = line.split(" ", 3);
      const perSeq = copies.get(tag)?.get(name);
      const seq = Number(seqText);
      if (tag !== writer.tag || perSeq === undefined || !(seq >= 0 && seq < perSeq.length)) {
        problem(`${key}: a line that ${writer.tag} did not write: ${line.slice(0, 60)}`);
        continue;
      }
      if (file !== name && !file.startsWith(`${name}-`)) problem(`${key}: a line of ${name} under file ${file}`);
      if (previous !== -1 && seq !== previous + 1) problem(`${key}: line ${seq} follows ${previous}`);
      previous = seq;
      perSeq[seq] = (perSeq[seq] ?? 0) + 1;
      linesShipped += 1;
    }
  }

  let linesWritten = 0;
  let missing = 0;
  let duplicated = 0;
  for (const [tag, logs] of copies) {
    for (const [name, perSeq] of logs) {
      linesWritten += perSeq.length;
      const lost = perSeq.filter((count) => count === 0).length;
      const extra = perSeq.reduce((sum, count) => sum + Math.max(0, count - 1), 0);
      missing += lost;
      duplicated += extra;
      if (lost > 0) problem(`${tag} ${name}: ${lost} of ${perSeq.length} lines missing (first: ${perSeq.indexOf(0)})`);
      if (extra > 0) problem(`${tag} ${name}: ${extra} lines stored more than once`);
    }
  }
  for (const host of hosts) if (!instances.has(host.instanceId)) problem(`no key under ${prefix}${host.instanceId}/`);
  return { ok: problemCount === 0, problems, problemCount, linesWritten, linesShipped, missing, duplicated, objects: objects.length, collisions, instancePrefixes: instances.size };
}
