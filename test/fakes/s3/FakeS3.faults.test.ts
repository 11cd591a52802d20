import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { describe, expect, test, vi } from "vitest";
import { rejectionOf, s3ClientFor, startFake } from "./fixtures.js";

const put = (key = "k", body: string | Buffer = "line\n") => new PutObjectCommand({ Bucket: "logs", Key: key, Body: body });
const outcomes = (records: readonly { status: number; errorCode?: string }[]) => records.map((r) => [r.status, r.errorCode]);

describe("injected faults, as the real S3Client experiences them", () => {
  test("503 SlowDown once: the SDK retries and succeeds; the object is written once", async () => {
    const { fake, cred } = await startFake();
    fake.injectFault({ kind: "error", status: 503, code: "SlowDown", message: "Please reduce your request rate.", times: 1 });
    const out = await s3ClientFor(fake, cred).send(put());
    expect(out.$metadata.attempts).toBe(2);
    expect(outcomes(fake.requests)).toEqual([
      [503, "SlowDown"],
      [200, undefined],
    ]);
    expect(fake.getObject("logs", "k")?.putCount).toBe(1);
  });

  test("an error outlasting the SDK's attempts surfaces with its code; then the fault is used up", async () => {
    const { fake, cred } = await startFake();
    fake.injectFault({ kind: "error", status: 500, code: "InternalError", times: 2 });
    const s3 = s3ClientFor(fake, cred, { maxAttempts: 2 });
    const error = await rejectionOf(s3.send(put()));
    expect(error.name).toBe("InternalError");
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 2 });
    await s3.send(put());
    expect(fake.getObject("logs", "k")?.putCount).toBe(1);
  });

  test("an error fault with forMs lapses after its window; faults hit PUTs only unless `methods` says so", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred, { maxAttempts: 1 });
    await s3.send(put());
    fake.injectFault({ kind: "error", status: 503, code: "ServiceUnavailable", forMs: 150 });
    expect((await rejectionOf(s3.send(put()))).name).toBe("ServiceUnavailable");
    await s3.send(new GetObjectCommand({ Bucket: "logs", Key: "k" }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await s3.send(put());

    fake.injectFault({ kind: "error", status: 500, code: "InternalError", methods: ["GET"] });
    expect((await rejectionOf(s3.send(new GetObjectCommand({ Bucket: "logs", Key: "k" })))).name).toBe("InternalError");
    await s3.send(put());
    fake.clearFaults();
    await s3.send(new GetObjectCommand({ Bucket: "logs", Key: "k" }));
  });

  test("reset once: the SDK sees a dropped connection, retries and succeeds", async () => {
    const { fake, cred } = await startFake();
    fake.injectFault({ kind: "reset", times: 1 });
    const out = await s3ClientFor(fake, cred).send(put());
    expect(out.$metadata.attempts).toBe(2);
    expect(outcomes(fake.requests)).toEqual([
      [0, "InjectedReset"],
      [200, undefined],
    ]);
    expect(fake.getObject("logs", "k")?.putCount).toBe(1);
  });

  test("reset with no retries left surfaces as a network error", async () => {
    const { fake, cred } = await startFake();
    fake.injectFault({ kind: "reset" });
    const error = await rejectionOf(s3ClientFor(fake, cred, { maxAttempts: 1 }).send(put()));
    expect(error.message).toMatch(/socket hang up|ECONNRESET/);
    expect(fake.getObject("logs", "k")).toBeUndefined();
  });

  test("stall holds the response for forMs, then the request completes", async () => {
    const { fake, cred } = await startFake();
    fake.injectFault({ kind: "stall", forMs: 250, times: 1 });
    const started = performance.now();
    await s3ClientFor(fake, cred).send(put());
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(fake.getObject("logs", "k")?.putCount).toBe(1);
  });

  test("a stall longer than the client's timeout: the SDK times out and retries; the abandoned request is dropped unprocessed", async () => {
    const { fake, cred } = await startFake();
    fake.injectFault({ kind: "stall", forMs: 500, times: 1 });
    // In this SDK a bare requestTimeout only logs a warning; throwOnRequestTimeout makes it abort.
    const s3 = s3ClientFor(fake, cred, {
      requestHandler: new NodeHttpHandler({ requestTimeout: 100, throwOnRequestTimeout: true }),
    });
    const out = await s3.send(put());
    expect(out.$metadata.attempts).toBe(2);
    await vi.waitFor(() => expect(fake.requests).toHaveLength(2), { timeout: 2_000 });
    expect(fake.requests.map((r) => [r.status, r.errorCode]).sort()).toEqual([
      [0, "ClientDisconnected"],
      [200, undefined],
    ]);
    expect(fake.getObject("logs", "k")?.putCount).toBe(1);
  });

  test("deny: AccessDenied 403 for PutObject under the prefix until cleared", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    fake.injectFault({ kind: "deny", keyPrefix: "secret/" });
    const error = await rejectionOf(s3.send(put("secret/a")));
    expect(error.name).toBe("AccessDenied");
    expect(error.$metadata).toMatchObject({ httpStatusCode: 403, attempts: 1 });
    await s3.send(put("public/a"));
    expect((await rejectionOf(s3.send(put("secret/a")))).name).toBe("AccessDenied");
    fake.clearFaults();
    await s3.send(put("secret/a"));
    expect(fake.listObjects("logs").map((o) => o.key)).toEqual(["public/a", "secret/a"]);
    expect(fake.rejected("AccessDenied")).toHaveLength(2);
  });

  test("malformed faults are refused", async () => {
    const { fake } = await startFake();
    expect(() => fake.injectFault({ kind: "error", status: 200, code: "X" })).toThrow(RangeError);
    expect(() => fake.injectFault({ kind: "reset", times: 0 })).toThrow(RangeError);
    expect(() => fake.injectFault({ kind: "stall", forMs: -1 })).toThrow(RangeError);
  });
});

test("maxBytesPerSecond throttles how fast request bodies are read", async () => {
  const { fake, cred } = await startFake({ maxBytesPerSecond: 1024 * 1024 });
  const body = Buffer.alloc(512 * 1024, 7);
  const started = performance.now();
  await s3ClientFor(fake, cred).send(put("big", body));
  const elapsed = performance.now() - started;
  // 512 KiB at 1 MiB/s is ~500 ms; the first socket buffer arrives unthrottled.
  expect(elapsed).toBeGreaterThanOrEqual(350);
  expect(elapsed).toBeLessThan(5_000);
  expect(fake.getObject("logs", "big")?.body.equals(body)).toBe(true);
});
