import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/createLogger.js";

describe("createLogger", () => {
  it("never throws out of a logging call when the log cannot be written (a full disk)", () => {
    // /dev/full fails every write with ENOSPC.
    const fd = openSync("/dev/full", "w");
    try {
      const logger = createLogger({ level: "info", fd });
      expect(() => {
        logger.info("uploads succeed again");
        logger.warn({ code: "SlowDown" }, "upload failed; retrying");
        for (let i = 0; i < 2_000; i += 1) logger.info({ i, filler: "x".repeat(1_000) }, "a line");
      }).not.toThrow();
    } finally {
      closeSync(fd);
    }
  });

  it("logs again once the log can be written, after more than it holds was logged meanwhile, credentials still redacted", async () => {
    const dir = await mkdtemp(join(tmpdir(), "create-logger-"));
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeEnd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const drainPipe = (): string => {
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
    };
    try {
      const logger = createLogger({ level: "info", fd: writeEnd });
      // The reader stalls: the pipe is full.
      for (;;) {
        try {
          writeSync(writeEnd, Buffer.alloc(4096, "f"));
        } catch {
          break;
        }
      }
      for (let i = 0; i < 4_000; i += 1) logger.info({ i, filler: "x".repeat(300) }, "while the log is stalled");
      drainPipe();
      logger.info({ credentials: { secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } }, "after the stall");
      // Each logging call writes what the pipe takes (64 KiB) of what is held.
      let text = drainPipe();
      for (let i = 0; i < 100 && !text.includes("after the stall"); i += 1) {
        logger.info("and on");
        text += drainPipe();
      }
      expect(text).toMatch(/"msg":"after the stall"/);
      expect(text).not.toMatch(/wJalrXUtnFEMI/);
      // The newest held lines came out first of all: the last one logged during the stall is there.
      expect(text).toMatch(/"i":3999,/);
    } finally {
      closeSync(writeEnd);
      closeSync(readEnd);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
