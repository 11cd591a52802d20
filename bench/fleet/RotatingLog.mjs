// @ts-check
import { closeSync, openSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { logLineGenerator } from "../lib/logLineGenerator.mjs";

/**
 * One application log of one simulated host: appended line by line, and
 * rotated the way logrotate does without copytruncate (rename to
 * `NAME-<generation>`, then a new file at NAME), with a few lines still written
 * to the renamed file afterwards, as an application does until it reopens.
 * Every line starts with `<host> <name> <seq>`, so the verifier can tell each
 * one apart and count it.
 */
export class RotatingLog {
  /**
   * @param {{ dir: string, name: string, host: string, random: () => number }} options
   */
  constructor({ dir, name, host, random }) {
    this.path = join(dir, name);
    this.name = name;
    this.host = host;
    this.next = logLineGenerator(random);
    /** Lines written so far; the next line's sequence number. */
    this.written = 0;
    this.rotations = 0;
    /** @type {number | undefined} undefined once closed */
    this.fd = openSync(this.path, "a");
  }

  /** @param {number} count */
  append(count) {
    this.#write(this.#open(), count);
  }

  /** @param {number} lateLines written to the renamed file after the rename */
  rotate(lateLines) {
    this.rotations += 1;
    const renamed = this.#open();
    renameSync(this.path, `${this.path}-${this.rotations}`);
    this.#write(renamed, lateLines);
    closeSync(renamed);
    this.fd = undefined;
    this.fd = openSync(this.path, "a");
  }

  /** Idempotent. */
  close() {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  #open() {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    return this.fd;
  }

  /** @param {number} fd @param {number} count */
  #write(fd, count) {
    let text = "";
    for (let i = 0; i < count; i += 1) {
      text += `${this.host} ${this.name} ${String(this.written).padStart(9, "0")} ${this.next()}`;
      this.written += 1;
    }
    if (text !== "") writeSync(fd, text);
  }
}
