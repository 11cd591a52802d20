import { closeSync, openSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/createLogger.js";
import { stalledPipe } from "../support/stalledPipe.js";

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
    const pipe = await stalledPipe();
    try {
      const logger = createLogger({ level: "info", fd: pipe.writeEnd });
      // The reader stalls: the pipe is full.
      pipe.fill();
      for (let i = 0; i < 4_000; i += 1) logger.info({ i, filler: "x".repeat(300) }, "while the log is stalled");
      pipe.readAll();
      logger.info({ credentials: { secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } }, "after the stall");
      // Each logging call writes what the pipe takes (64 KiB) of what is held.
      let text = pipe.readAll();
      for (let i = 0; i < 100 && !text.includes("after the stall"); i += 1) {
        logger.info("and on");
        text += pipe.readAll();
      }
      expect(text).toMatch(/"msg":"after the stall"/);
      expect(text).not.toMatch(/wJalrXUtnFEMI/);
      // The newest held lines came out first of all: the last one logged during the stall is there.
      expect(text).toMatch(/"i":3999,/);
    } finally {
      await pipe.close();
    }
  });
});
