import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogDestination } from "../../src/log/LogDestination.js";

describe("LogDestination", () => {
  let dir: string;
  let writeEnd: number;
  let readEnd: number;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "log-destination-"));
    // A FIFO opened non-blocking: once its 64 KiB are full, every write fails with EAGAIN, as a stalled journal does.
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    writeEnd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  });
  afterEach(async () => {
    closeSync(writeEnd);
    closeSync(readEnd);
    await rm(dir, { recursive: true, force: true });
  });

  function fillPipe(): void {
    const block = Buffer.alloc(4096, "f");
    for (;;) {
      try {
        writeSync(writeEnd, block);
      } catch {
        return;
      }
    }
  }

  function readAll(): string {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(65536);
    for (;;) {
      let n = 0;
      try {
        n = readSync(readEnd, buffer);
      } catch {
        break;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  it("never throws while the log cannot be written, holds the newest lines up to its bound, and writes them, and every later line, once it can", () => {
    const destination = new LogDestination(writeEnd, 100);
    fillPipe();
    expect(() => {
      for (let i = 0; i < 20; i += 1) destination.write(`held ${String(i).padStart(2, "0")}\n`);
    }).not.toThrow();
    // The pipe's reader catches up: the filler goes, then the held lines with the next write.
    expect(readAll()).toMatch(/^f+$/);
    destination.write("after\n");
    destination.write("and on\n");
    const lines = readAll().split("\n").filter(Boolean);
    // 100 bytes held the last 12 lines of 8 bytes, then "after" took the place of the oldest: the oldest go first.
    expect(lines).toEqual([...Array.from({ length: 11 }, (_, i) => `held ${String(i + 9).padStart(2, "0")}`), "after", "and on"]);
  });

  it("on a full disk (/dev/full) too: no throw, however long it lasts", () => {
    const full = openSync("/dev/full", "w");
    try {
      const destination = new LogDestination(full);
      expect(() => {
        for (let i = 0; i < 5_000; i += 1) destination.write(`${"x".repeat(500)}\n`);
      }).not.toThrow();
    } finally {
      closeSync(full);
    }
  });
});
