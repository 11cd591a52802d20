import type { IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { ClientDisconnectedError } from "./ClientDisconnectedError.js";
import type { IngestThrottle } from "./IngestThrottle.js";
import { s3Errors } from "./s3Errors.js";

/**
 * Reads a request body into memory, pacing reads through `throttle` when given and refusing
 * more than `maxBytes` (`EntityTooLarge`). A client that disconnects mid-body yields
 * `ClientDisconnectedError`.
 */
export async function readBody(req: IncomingMessage, maxBytes: number, throttle?: IngestThrottle): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > maxBytes) throw s3Errors.entityTooLarge(maxBytes);
      chunks.push(buffer);
      if (throttle !== undefined) await sleep(throttle.reserve(buffer.length));
    }
  } catch (error) {
    if (req.destroyed && !req.complete) throw new ClientDisconnectedError("client disconnected during the request body");
    throw error;
  }
  // An aborted request can end the iteration quietly on some Node versions.
  if (!req.complete) throw new ClientDisconnectedError("client disconnected during the request body");
  return Buffer.concat(chunks, total);
}
