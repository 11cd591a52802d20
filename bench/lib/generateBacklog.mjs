// @ts-check
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { logLineGenerator } from "./logLineGenerator.mjs";
import { seededRandom } from "./seededRandom.mjs";

/**
 * @typedef {object} BacklogFile
 * @property {string} path
 * @property {string} name
 * @property {number} bytes
 * @property {number} lines
 * @property {string} sha256 hex digest of the whole file
 */

/**
 * @typedef {object} Backlog
 * @property {string} dir
 * @property {BacklogFile[]} files
 * @property {number} bytes
 * @property {number} lines
 */

/** Lines are joined into writes of about this size: one syscall and one hash update per MiB. */
const WRITE_BYTES = 1 << 20;

/**
 * Writes `files` log files (`app-00.log`, …) totalling about `totalBytes` into
 * `dir`. File i is drawn from seed `seed + i`, so the same options give the
 * same bytes; each file ends after the line that reaches its share.
 * @param {{ dir: string, totalBytes: number, files: number, seed: number }} options
 * @returns {Backlog}
 */
export function generateBacklog({ dir, totalBytes, files, seed }) {
  mkdirSync(dir, { recursive: true });
  const share = Math.ceil(totalBytes / files);
  /** @type {BacklogFile[]} */
  const written = [];
  for (let index = 0; index < files; index += 1) {
    const name = `app-${String(index).padStart(2, "0")}.log`;
    const path = join(dir, name);
    const next = logLineGenerator(seededRandom(seed + index));
    const hash = createHash("sha256");
    const fd = openSync(path, "w");
    let bytes = 0;
    let lines = 0;
    try {
      while (bytes < share) {
        let text = "";
        while (text.length < WRITE_BYTES && bytes + text.length < share) {
          text += next();
          lines += 1;
        }
        const chunk = Buffer.from(text, "latin1"); // the generator only emits ASCII
        hash.update(chunk);
        writeSync(fd, chunk);
        bytes += chunk.length;
      }
    } finally {
      closeSync(fd);
    }
    written.push({ path, name, bytes, lines, sha256: hash.digest("hex") });
  }
  return {
    dir,
    files: written,
    bytes: written.reduce((sum, file) => sum + file.bytes, 0),
    lines: written.reduce((sum, file) => sum + file.lines, 0),
  };
}
