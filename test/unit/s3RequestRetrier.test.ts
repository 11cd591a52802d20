import { pino, type Logger } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CredentialCache } from "../../src/credentials/CredentialCache.js";
import { S3RequestRetrier } from "../../src/sink/S3RequestRetrier.js";
import { CredentialsUnavailableError } from "../../src/credentials/CredentialsUnavailableError.js";
import { UploadFailedError } from "../../src/sink/UploadFailedError.js";

/** A cache whose provider always hands out the same keys, without expiry. */
function staticKeys(logger: Logger): CredentialCache {
  return new CredentialCache({ source: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }), logger, describeError: (error) => ({ detail: String(error) }) });
}

describe("S3RequestRetrier", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("how long uploads have been failing (/readyz) is measured on the monotonic clock: a step of the wall clock is no outage", async () => {
    const logger = pino({ level: "silent" });
    const credentials = staticKeys(logger);
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
    const credentials = staticKeys(logger);
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
    const credentials = staticKeys(logger);
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

  describe("AccessDenied: the advice follows what S3's message says was refused", () => {
    async function adviceFor(message: string): Promise<string> {
      const logger = pino({ level: "silent" });
      const credentials = staticKeys(logger);
      const retrier = new S3RequestRetrier({ bucket: "logs", credentials, logger, retry: { maxAttempts: 1, failFastOnPermanent: true, baseMs: 1, maxMs: 5 } });
      const denied = Object.assign(new Error(message), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
      const failure = await retrier.send("i-0abc/app.log/x.log.gz", () => Promise.reject(denied)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(UploadFailedError);
      return (failure as Error).message;
    }

    it("a bucket's KMS key the role may not use (SSE-KMS): the KMS action, not s3:PutObject, which the role has", async () => {
      const message = await adviceFor(
        "User: arn:aws:sts::123456789012:assumed-role/ship-logs/i-0abc is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:123456789012:key/1234abcd because no identity-based policy allows the kms:GenerateDataKey action",
      );
      expect(message).toBe(
        "S3 denied PutObject on s3://logs/i-0abc/app.log/x.log.gz (HTTP 403): the instance role needs kms:GenerateDataKey on the bucket's KMS key (SSE-KMS), in its policy and the key's (kms:GenerateDataKey: no identity-based policy allows)",
      );
      expect(message).not.toContain("123456789012");
    });

    it("an explicit deny in a VPC endpoint policy: no grant to the role helps", async () => {
      expect(
        await adviceFor(
          'User: arn:aws:sts::123456789012:assumed-role/ship-logs/i-0abc is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::logs/x" with an explicit deny in a VPC endpoint policy',
        ),
      ).toBe(
        "S3 denied PutObject on s3://logs/i-0abc/app.log/x.log.gz (HTTP 403): a policy denies it (s3:PutObject: an explicit deny in a VPC endpoint policy): see the bucket policy or the VPC endpoint policy it names",
      );
    });

    it("an echo in the message (a key id, free text) is not repeated: only known actions and policy phrases are", async () => {
      const message = await adviceFor(
        "User: x is not authorized to perform: s3:ASIAHTCVPIZWBUEXAMPLE because no identity-based policy allows it, with an explicit deny in a secret token here policy",
      );
      expect(message).toBe(
        "S3 denied PutObject on s3://logs/i-0abc/app.log/x.log.gz (HTTP 403): the instance role needs s3:PutObject on arn:aws:s3:::logs/* (refused: no identity-based policy allows)",
      );
    });

    it("S3's bare 'Access Denied': the s3:PutObject grant, as before", async () => {
      expect(await adviceFor("Access Denied")).toBe(
        "S3 denied PutObject on s3://logs/i-0abc/app.log/x.log.gz (HTTP 403): the instance role needs s3:PutObject on arn:aws:s3:::logs/*",
      );
    });
  });

  it("AccessDenied for a key recorded under an earlier --prefix (a spooled batch): the advice names that key, not the current prefix", async () => {
    const logger = pino({ level: "silent" });
    const credentials = staticKeys(logger);
    const retrier = new S3RequestRetrier({ bucket: "logs", keyPrefix: "new/", credentials, logger, retry: { maxAttempts: 1, failFastOnPermanent: true, baseMs: 1, maxMs: 5 } });
    const denied = Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await expect(retrier.send("old/i-0abc/app.log/x.log.gz", () => Promise.reject(denied))).rejects.toThrow(
      "S3 denied PutObject on s3://logs/old/i-0abc/app.log/x.log.gz (HTTP 403): the instance role needs s3:PutObject on arn:aws:s3:::logs/old/i-0abc/app.log/x.log.gz",
    );
  });

  it("one line per kind of failure in a streak: an AccessDenied after a throttle is said, a repeat is not", async () => {
    const logs: Array<{ level: number; msg: string; code?: string }> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) });
    const credentials = staticKeys(logger);
    const retrier = new S3RequestRetrier({ bucket: "logs", credentials, logger, retry: { maxAttempts: 7, failFastOnPermanent: false, baseMs: 1, maxMs: 2 } });
    const answers = ["SlowDown", "SlowDown", "AccessDenied", "AccessDenied", "SlowDown", "AccessDenied"];
    let sent = 0;
    await retrier.send("k", async () => {
      const code = answers[sent++];
      if (code === undefined) return "ok";
      throw Object.assign(new Error(code), { name: code, $metadata: { httpStatusCode: code === "SlowDown" ? 503 : 403 } });
    });
    expect(logs.map((record) => [record.level, record.code ?? record.msg])).toEqual([
      [50, "SlowDown"],
      [50, "AccessDenied"],
      [30, "uploads succeed again"],
    ]);
  });

  it("an attempt that had no credentials to sign with never reached S3: no upload error or retry is counted, and uploads are not 'failing'", async () => {
    const logs: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) });
    const credentials = staticKeys(logger);
    const failed: string[] = [];
    let retries = 0;
    const retrier = new S3RequestRetrier({
      bucket: "logs",
      credentials,
      logger,
      retry: { maxAttempts: Number.POSITIVE_INFINITY, failFastOnPermanent: false, baseMs: 1, maxMs: 2 },
      observer: { failed: (code) => failed.push(code), retried: () => (retries += 1) },
    });
    let attempts = 0;
    let failingWhileWaiting: number | undefined;
    await retrier.send("k", async () => {
      attempts += 1;
      failingWhileWaiting ??= attempts === 3 ? retrier.failingSince : undefined;
      // As the SDK's signer fails when the credential provider throws: no request goes out.
      if (attempts <= 3) throw new CredentialsUnavailableError("credentials expired and cannot be refreshed: IMDS HTTP 500");
      return "ok";
    });
    expect(attempts).toBe(4);
    expect(failed).toEqual([]);
    expect(retries).toBe(0);
    expect(failingWhileWaiting).toBeUndefined();
    expect(retrier.failingSince).toBeUndefined();
    // The cache said why, once, at error; the uploads' side says only that they resumed.
    expect(logs.map((record) => [record.level, record.msg])).toEqual([[30, "uploads succeed again"]]);
  });

  it("S3 errors after the credentials came back are counted as before", async () => {
    const failed: string[] = [];
    const logger = pino({ level: "silent" });
    const retrier = new S3RequestRetrier({
      bucket: "logs",
      credentials: staticKeys(logger),
      logger,
      retry: { maxAttempts: Number.POSITIVE_INFINITY, failFastOnPermanent: false, baseMs: 1, maxMs: 2 },
      observer: { failed: (code) => failed.push(code), retried: () => undefined },
    });
    const answers: Error[] = [
      new CredentialsUnavailableError("no credentials"),
      Object.assign(new Error("Slow Down"), { name: "SlowDown", $metadata: { httpStatusCode: 503 } }),
    ];
    await retrier.send("k", async () => {
      const answer = answers.shift();
      if (answer) throw answer;
      return "ok";
    });
    expect(failed).toEqual(["SlowDown"]);
  });

  it("a request that gets no answer says so, and an untrusted TLS certificate says how to trust it", async () => {
    const logger = pino({ level: "silent" });
    const credentials = staticKeys(logger);
    const retrier = new S3RequestRetrier({ bucket: "logs", credentials, logger, retry: { maxAttempts: 1, failFastOnPermanent: true, baseMs: 1, maxMs: 2 } });
    const timedOut = Object.assign(new Error("Request timed out"), { name: "TimeoutError" });
    await expect(retrier.send("k", () => Promise.reject(timedOut))).rejects.toThrow("upload of s3://logs/k failed: no answer within --request-timeout (TimeoutError)");
    const untrusted = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    await expect(retrier.send("k", () => Promise.reject(untrusted))).rejects.toThrow(/failed: DEPTH_ZERO_SELF_SIGNED_CERT: .*NODE_EXTRA_CA_CERTS=/);
  });

  describe("after S3 refused the keys, a resend goes out as soon as there are new ones, not after its backoff", () => {
    const refused = () => Object.assign(new Error("The AWS Access Key Id you provided does not exist in our records."), { name: "InvalidAccessKeyId", $metadata: { httpStatusCode: 403 } });
    /** Keys A until told otherwise, then B; S3 takes only B. */
    function world() {
      const state = { served: "AKIDA" };
      const credentials = new CredentialCache({
        source: async () => ({ accessKeyId: state.served, secretAccessKey: "secret", expiration: new Date(Date.now() + 3_600_000) }),
        logger: pino({ level: "silent" }),
        describeError: (error) => ({ detail: String(error) }),
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
      describeError: (error) => ({ detail: String(error) }),
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
