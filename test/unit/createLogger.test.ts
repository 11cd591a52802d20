import { closeSync, openSync } from "node:fs";
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
        // Past what is held for later: dropped, still no throw.
        for (let i = 0; i < 2_000; i += 1) logger.info({ i, filler: "x".repeat(1_000) }, "a line");
      }).not.toThrow();
    } finally {
      closeSync(fd);
    }
  });
});
