import type { IncomingMessage } from "node:http";
import { ClientDisconnectedError } from "./ClientDisconnectedError.js";
import type { IngestThrottle } from "./IngestThrottle.js";
import { s3Errors } from "./s3Errors.js";

/**
 * Reads a request body into memory, pacing reads through `throttle` when given (the stream is
 * paused, so TCP back-pressure slows the sender) and refusing more than `maxBytes` with
 * `EntityTooLarge`. A client that disconnects mid-body yields `ClientDisconnectedError`.
 *
 * Plain events rather than `for await`: leaving an async iterator early destroys the request
 * and with it the socket, and the client would see a reset instead of the S3 error.
 */
export function readBody(req: IncomingMessage, maxBytes: number, throttle?: IngestThrottle): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let resumeTimer: NodeJS.Timeout | undefined;

    const finish = (outcome: () => void) => {
      req.off("data", onData).off("end", onEnd).off("error", onGone).off("close", onGone);
      clearTimeout(resumeTimer);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        req.pause();
        finish(() => reject(s3Errors.entityTooLarge(maxBytes)));
        return;
      }
      chunks.push(chunk);
      if (throttle !== undefined) {
        req.pause();
        resumeTimer = setTimeout(() => req.resume(), throttle.reserve(chunk.length));
      }
    };
    const onEnd = () => finish(() => resolve(Buffer.concat(chunks, total)));
    const onGone = () => {
      if (req.complete) return;
      finish(() => reject(new ClientDisconnectedError("client disconnected during the request body")));
    };

    req.on("data", onData).once("end", onEnd).once("error", onGone).once("close", onGone);
  });
}
