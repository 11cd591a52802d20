// @ts-check
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";

/** @typedef {import("./generateBacklog.mjs").Backlog} Backlog */
/** @typedef {import("./BenchSink.mjs").StoredObject} StoredObject */

/**
 * @typedef {object} Verification
 * @property {boolean} ok
 * @property {number} lines lines found in the sink, over all files
 * @property {number} objects
 * @property {string[]} problems one line each, empty when ok
 */

/** Default layout (SPEC): `PREFIX INSTANCE/DATE/FILE/SOURCEID-START-END.log[.gz]`. */
const RANGE = /-(\d+)-(\d+)\.log(\.gz)?$/;

/** @param {Buffer} data */
function countLines(data) {
  let count = 0;
  for (let at = data.indexOf(0x0a); at !== -1; at = data.indexOf(0x0a, at + 1)) count += 1;
  return count;
}

/**
 * @param {import("./generateBacklog.mjs").BacklogFile} file
 * @param {{ start: number, end: number, object: StoredObject }[]} pieces
 * @param {string[]} problems
 * @returns {number} lines seen
 */
function checkFile(file, pieces, problems) {
  pieces.sort((a, b) => a.start - b.start);
  const hash = createHash("sha256");
  let at = 0;
  let lines = 0;
  for (const { start, end, object } of pieces) {
    if (start !== at) {
      problems.push(`${file.name}: ${start > at ? `bytes ${at}-${start} missing` : `bytes ${start}-${at} stored twice`} (${object.key})`);
      return lines;
    }
    const data = object.key.endsWith(".gz") ? gunzipSync(object.body) : object.body;
    if (data.length !== end - start) {
      problems.push(`${object.key}: holds ${data.length} bytes for a range of ${end - start}`);
      return lines;
    }
    hash.update(data);
    lines += countLines(data);
    at = end;
  }
  if (at !== file.bytes) problems.push(`${file.name}: only ${at} of ${file.bytes} bytes arrived`);
  else if (hash.digest("hex") !== file.sha256) problems.push(`${file.name}: content differs from the generated file`);
  else if (lines !== file.lines) problems.push(`${file.name}: ${lines} lines arrived, ${file.lines} written`);
  return lines;
}

/**
 * Every generated line is in the sink exactly once, in order: the objects
 * ship-logs wrote for each file, decompressed and laid end to end by byte
 * range, hash to the generated file and hold as many lines.
 * @param {Backlog} backlog
 * @param {readonly StoredObject[]} objects
 * @returns {Verification}
 */
export function verifyShipped(backlog, objects) {
  /** @type {string[]} */
  const problems = [];
  /** @type {Map<string, { start: number, end: number, object: StoredObject }[]>} */
  const byFile = new Map(backlog.files.map((file) => [file.name, []]));
  for (const object of objects) {
    const segments = object.key.split("/");
    const range = RANGE.exec(object.key);
    const pieces = byFile.get(segments.at(-2) ?? "");
    if (!range || !pieces) {
      problems.push(`unexpected object ${object.key}`);
      continue;
    }
    pieces.push({ start: Number(range[1]), end: Number(range[2]), object });
  }
  let lines = 0;
  for (const file of backlog.files) lines += checkFile(file, byFile.get(file.name) ?? [], problems);
  return { ok: problems.length === 0, lines, objects: objects.length, problems };
}

/**
 * `aws s3 cp --recursive DIR s3://B/P/` stores each file whole under P/NAME.
 * @param {Backlog} backlog
 * @param {readonly StoredObject[]} objects
 * @returns {Verification}
 */
export function verifyCopied(backlog, objects) {
  /** @type {string[]} */
  const problems = [];
  const byName = new Map(objects.map((object) => [object.key.split("/").at(-1), object]));
  let lines = 0;
  for (const file of backlog.files) {
    const object = byName.get(file.name);
    if (!object) problems.push(`${file.name}: not copied`);
    else if (createHash("sha256").update(object.body).digest("hex") !== file.sha256) problems.push(`${file.name}: content differs`);
    else lines += file.lines;
  }
  if (objects.length !== backlog.files.length) problems.push(`${objects.length} objects for ${backlog.files.length} files`);
  return { ok: problems.length === 0, lines, objects: objects.length, problems };
}
