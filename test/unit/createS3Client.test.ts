import { createServer } from "node:http";
import { PutObjectCommand } from "@aws-sdk/client-s3";
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
  it("sends a large body at once to a server that never answers \"Expect: 100-continue\"", async () => {
    const answer = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): void => {
      req.resume();
      req.on("end", () => res.writeHead(200, { etag: '"0"' }).end());
    };
    const server = createServer(answer);
    // With a checkContinue listener Node does not answer 100 itself: this one never does.
    server.on("checkContinue", answer);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const client = createS3Client({
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${port}`,
      credentials: async () => ({ accessKeyId: "a", secretAccessKey: "b" }),
      logger: pino({ level: "silent" }),
      idleTimeoutMs: 2_000,
    });
    try {
      const startedAt = Date.now();
      await client.send(new PutObjectCommand({ Bucket: "logs", Key: "big", Body: Buffer.alloc(3 * 1024 * 1024, 0x61) }));
      expect(Date.now() - startedAt).toBeLessThan(2_000);
    } finally {
      client.destroy();
      server.closeAllConnections();
      server.close();
    }
  });

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
