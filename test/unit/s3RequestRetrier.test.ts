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

  it("AccessDenied: the advice names the grant under --prefix, which a policy scoped to it must cover", async () => {
    const logger = pino({ level: "silent" });
    const credentials = new CredentialCache({
      source: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }),
      logger,
      describeError: String,
    });
    const retrier = new S3RequestRetrier({
      bucket: "logs",
      keyPrefix: "fleet/web/",
      credentials,
      logger,
      retry: { maxAttempts: 1, failFastOnPermanent: true, baseMs: 1, maxMs: 5 },
    });
    const denied = Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await expect(retrier.send("fleet/web/i-0abc/app.log/x.log.gz", () => Promise.reject(denied))).rejects.toThrow(
      "S3 denied PutObject on s3://logs/fleet/web/i-0abc/app.log/x.log.gz (HTTP 403): the instance role needs s3:PutObject on arn:aws:s3:::logs/fleet/web/*",
    );
  });
});
