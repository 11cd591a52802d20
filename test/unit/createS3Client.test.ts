import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createS3Client } from "../../src/sink/createS3Client.js";

// The SDK warns once per process about Node 20; it is noise in test output.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";

function clientAt(level: string) {
  const logger = pino({ level }, { write: () => undefined });
  return createS3Client({ region: "us-east-1", endpoint: "http://127.0.0.1:9", credentials: async () => ({ accessKeyId: "a", secretAccessKey: "b" }), logger });
}

describe("createS3Client", () => {
  it("hands the SDK our logger at debug level only, so that above it no per-request log record is built", () => {
    const quiet = clientAt("info");
    const chatty = clientAt("debug");
    try {
      expect(quiet.config.logger.constructor.name).toBe("NoOpLogger");
      expect(chatty.config.logger.constructor.name).not.toBe("NoOpLogger");
      expect(typeof chatty.config.logger.debug).toBe("function");
    } finally {
      quiet.destroy();
      chatty.destroy();
    }
  });
});
