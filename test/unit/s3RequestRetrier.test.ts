import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CredentialCache } from "../../src/credentials/CredentialCache.js";
import { S3RequestRetrier } from "../../src/sink/S3RequestRetrier.js";
import { UploadFailedError } from "../../src/sink/UploadFailedError.js";

describe("S3RequestRetrier", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("how long uploads have been failing (/readyz) is measured on the monotonic clock: a step of the wall clock is no outage", async () => {
    const logger = pino({ level: "silent" });
    const credentials = new CredentialCache({
      source: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }),
      logger,
      describeError: String,
    });
    const stop = new AbortController();
    const retrier = new S3RequestRetrier({
      bucket: "logs",
      credentials,
      logger,
      retry: { maxAttempts: Number.POSITIVE_INFINITY, failFastOnPermanent: false, baseMs: 1, maxMs: 5 },
      signal: stop.signal,
    });
    const unavailable = Object.assign(new Error("Service Unavailable"), { name: "ServiceUnavailable", $metadata: { httpStatusCode: 503 } });
    const began = Date.now();
    const sent = retrier.send("i-0abc/app.log", () => Promise.reject(unavailable));
    await expect.poll(() => retrier.failingSince, { interval: 5 }).toBeDefined();
    // "Failing since" is a time for humans, on the wall clock.
    expect(retrier.failingSince).toBeGreaterThanOrEqual(began);
    const wallClock = Date.now.bind(Date);
    vi.spyOn(Date, "now").mockImplementation(() => wallClock() + 3 * 3_600_000);
    expect(retrier.failingForMs).toBeGreaterThanOrEqual(0);
    expect(retrier.failingForMs).toBeLessThan(1_000);
    stop.abort();
    await expect(sent).rejects.toBeInstanceOf(UploadFailedError);
  });

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

  describe("after S3 refused the keys, a resend goes out as soon as there are new ones, not after its backoff", () => {
    const refused = () => Object.assign(new Error("The AWS Access Key Id you provided does not exist in our records."), { name: "InvalidAccessKeyId", $metadata: { httpStatusCode: 403 } });
    /** Keys A until told otherwise, then B; S3 takes only B. */
    function world() {
      const state = { served: "AKIDA" };
      const credentials = new CredentialCache({
        source: async () => ({ accessKeyId: state.served, secretAccessKey: "secret", expiration: new Date(Date.now() + 3_600_000) }),
        logger: pino({ level: "silent" }),
        describeError: String,
      });
      const retrier = new S3RequestRetrier({
        bucket: "logs",
        credentials,
        logger: pino({ level: "silent" }),
        // A backoff far longer than the test may take.
        retry: { maxAttempts: Number.POSITIVE_INFINITY, failFastOnPermanent: false, baseMs: 20_000, maxMs: 60_000 },
      });
      const attempts: string[] = [];
      const request = async (): Promise<string> => {
        const { accessKeyId } = await credentials.get();
        attempts.push(accessKeyId);
        if (accessKeyId !== "AKIDB") throw refused();
        return "stored";
      };
      return { state, credentials, retrier, attempts, request };
    }

    it("when its own forced refresh brings them", async () => {
      const { state, retrier, attempts, request } = world();
      let calls = 0;
      const sent = retrier.send("k", async () => {
        calls += 1;
        // IMDS still hands out the refused keys at the first forced refresh, new ones at the second.
        if (calls === 2) state.served = "AKIDB";
        return request();
      });
      await expect(sent).resolves.toBe("stored");
      expect(attempts).toEqual(["AKIDA", "AKIDA", "AKIDB"]);
    }, 5_000);

    it("when another refresh brings them while it waits", async () => {
      const { state, credentials, retrier, attempts, request } = world();
      const sent = retrier.send("k", request);
      await expect.poll(() => attempts.length).toBe(2);
      // Both attempts were refused and the refresh brought the same keys: the upload now waits.
      state.served = "AKIDB";
      await credentials.forceRefresh();
      await expect(sent).resolves.toBe("stored");
      expect(attempts).toEqual(["AKIDA", "AKIDA", "AKIDB"]);
    }, 5_000);
  });

  it("new keys cut a request's backoff short once, not in a loop: a provider that mints keys at every call, for an endpoint that refuses them all", async () => {
    let minted = 0;
    const credentials = new CredentialCache({
      source: async () => ({ accessKeyId: `AKID${(minted += 1)}`, secretAccessKey: "secret", expiration: new Date(Date.now() + 3_600_000) }),
      logger: pino({ level: "silent" }),
      describeError: String,
    });
    const stop = new AbortController();
    const retrier = new S3RequestRetrier({
      bucket: "logs",
      credentials,
      logger: pino({ level: "silent" }),
      retry: { maxAttempts: Number.POSITIVE_INFINITY, failFastOnPermanent: false, baseMs: 1_000, maxMs: 60_000 },
      signal: stop.signal,
    });
    let attempts = 0;
    const sent = retrier
      .send("k", async () => {
        await credentials.get();
        attempts += 1;
        throw Object.assign(new Error("The AWS Access Key Id you provided does not exist in our records."), { name: "InvalidAccessKeyId", $metadata: { httpStatusCode: 403 } });
      })
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    stop.abort();
    await sent;
    // At once, once more for the new keys, then the backoff (0.5-1 s, then 1-2 s): a handful, not thousands.
    expect(attempts).toBeLessThanOrEqual(5);
  }, 10_000);
});
