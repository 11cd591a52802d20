import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { CredentialCache } from "../../src/credentials/CredentialCache.js";
import { S3RequestRetrier } from "../../src/sink/S3RequestRetrier.js";
import { UploadFailedError } from "../../src/sink/UploadFailedError.js";

describe("S3RequestRetrier", () => {
  it("a request cancelled by the stop's timeout is neither logged nor counted as an S3 failure", async () => {
    const logs: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) });
    const credentials = new CredentialCache({
      source: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }),
      logger,
      describeError: String,
    });
    const failed: string[] = [];
    const stop = new AbortController();
    const retrier = new S3RequestRetrier({
      bucket: "logs",
      credentials,
      logger,
      retry: { maxAttempts: Number.POSITIVE_INFINITY, failFastOnPermanent: false, baseMs: 1, maxMs: 5 },
      signal: stop.signal,
      observer: { failed: (code) => failed.push(code), retried: () => undefined },
    });
    const sent = retrier.send("i-0abc/app.log", ({ abortSignal }) =>
      new Promise<never>((_, reject) => {
        // As the SDK's HTTP handler rejects a request whose signal fires.
        abortSignal?.addEventListener("abort", () => reject(Object.assign(new Error("Request aborted"), { name: "AbortError" })));
      }),
    );
    stop.abort();
    await expect(sent).rejects.toBeInstanceOf(UploadFailedError);
    expect(failed).toEqual([]);
    expect(logs.filter((record) => record.level >= 40)).toEqual([]);
  });
});
