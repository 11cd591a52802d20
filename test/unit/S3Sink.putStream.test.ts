import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { describe, expect, test } from "vitest";
import { RangeGoneError } from "../../src/batch/RangeGoneError.js";
import { CredentialCache } from "../../src/credentials/CredentialCache.js";
import type { IssuedCredential } from "../../src/fakes/CredentialAuthority.js";
import type { FakeS3 } from "../../src/fakes/s3/FakeS3.js";
import { createS3Client } from "../../src/sink/createS3Client.js";
import { S3Sink, type RetryPolicy } from "../../src/sink/S3Sink.js";
import { UploadFailedError } from "../../src/sink/UploadFailedError.js";
import { startFake } from "../fakes/s3/fixtures.js";

const PART = 64 * 1024;
const RETRY: RetryPolicy = { maxAttempts: 3, failFastOnPermanent: true, baseMs: 1, maxMs: 5 };

interface Harness {
  fake: FakeS3;
  sink: S3Sink;
  /** Credential fetches so far (a forced refresh is one more). */
  fetches(): number;
  uploaded: Array<{ bytes: number }>;
  logs: Array<Record<string, unknown>>;
}

async function harness(checksum: "when-supported" | "when-required" = "when-supported"): Promise<Harness> {
  const { fake, cred } = await startFake({ minPartBytes: PART });
  let fetches = 0;
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const credentials = new CredentialCache({
    source: async () => {
      fetches += 1;
      return keysOf(cred);
    },
    logger,
    describeError: (error) => ({ detail: String(error) }),
  });
  const client = createS3Client({ region: "us-east-1", endpoint: fake.endpoint, credentials: () => credentials.get(), logger, checksum });
  const uploaded: Array<{ bytes: number }> = [];
  const sink = new S3Sink({
    client,
    bucket: "logs",
    credentials,
    logger,
    retry: RETRY,
    partBytes: PART,
    observer: { uploaded: (bytes) => uploaded.push({ bytes }), failed() {}, retried() {} },
  });
  return { fake, sink, fetches: () => fetches, uploaded, logs };
}

function keysOf(cred: IssuedCredential) {
  return { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey, sessionToken: cred.sessionToken, expiration: cred.expiration };
}

/** A body factory over `data` in 10 000-byte chunks that counts its calls and can act at its end. */
function body(data: Buffer, atEnd: (call: number) => void = () => undefined) {
  let calls = 0;
  const make = async function* (): AsyncGenerator<Buffer> {
    calls += 1;
    for (let at = 0; at < data.length; at += 10_000) yield data.subarray(at, at + 10_000);
    atEnd(calls);
  };
  return { make, calls: () => calls };
}

const object = (key: string, make: () => AsyncIterable<Buffer>) => ({ key, body: make, contentType: "application/gzip", metadata: { lines: "1" } });
const operations = (fake: FakeS3) => fake.requests.map((request) => request.operation);

describe("S3Sink.putStream", () => {
  test("a stream longer than a part goes up as a multipart upload of whole parts, checksummed", async () => {
    const { fake, sink, uploaded } = await harness();
    const data = randomBytes(5 * PART + 123);
    expect(await sink.putStream(object("big", body(data).make))).toBe(data.length);
    const stored = fake.getObject("logs", "big");
    expect(stored?.body.equals(data)).toBe(true);
    expect(stored).toMatchObject({ putCount: 1, contentType: "application/gzip", metadata: { lines: "1" }, etag: expect.stringMatching(/-6"$/) });
    expect(stored?.checksum?.type).toBe("COMPOSITE");
    expect(operations(fake)).toEqual(["CreateMultipartUpload", ...Array<string>(6).fill("UploadPart"), "CompleteMultipartUpload"]);
    expect(uploaded).toEqual([{ bytes: data.length }]);
  });

  test("without checksums (--checksum when-required) the upload declares none and S3 takes the parts", async () => {
    const { fake, sink } = await harness("when-required");
    const data = randomBytes(2 * PART + 1);
    await sink.putStream(object("plain", body(data).make));
    expect(fake.getObject("logs", "plain")?.body.equals(data)).toBe(true);
    expect(fake.getObject("logs", "plain")?.checksum).toBeUndefined();
  });

  test("a stream that fits in one part, even exactly, is a single PutObject", async () => {
    const { fake, sink } = await harness();
    const data = randomBytes(PART);
    await sink.putStream(object("small", body(data).make));
    expect(fake.getObject("logs", "small")?.body.equals(data)).toBe(true);
    expect(operations(fake)).toEqual(["PutObject"]);
  });

  test("a part refused with ExpiredToken: new credentials, the same part again, nothing lost", async () => {
    const { fake, sink, fetches } = await harness();
    const data = randomBytes(3 * PART);
    fake.injectFault({ kind: "error", status: 400, code: "ExpiredToken", message: "The provided token has expired.", times: 1 });
    await sink.putStream(object("refresh", body(data).make));
    expect(fake.getObject("logs", "refresh")?.body.equals(data)).toBe(true);
    expect(fetches()).toBe(2);
    expect(fake.rejected("ExpiredToken").map((request) => request.operation)).toEqual(["UploadPart"]);
  });

  test("an upload S3 no longer knows is started over from the source, under the same key", async () => {
    const { fake, sink, logs } = await harness();
    const data = randomBytes(3 * PART + 5);
    // Armed once the parts but the last are up: the next POST is the completion.
    const source = body(data, (call) => {
      if (call === 1) fake.injectFault({ kind: "error", status: 404, code: "NoSuchUpload", methods: ["POST"], times: 1 });
    });
    await sink.putStream(object("again", source.make));
    expect(source.calls()).toBe(2);
    expect(fake.getObject("logs", "again")).toMatchObject({ putCount: 1 });
    expect(fake.getObject("logs", "again")?.body.equals(data)).toBe(true);
    expect(operations(fake).filter((operation) => operation === "CreateMultipartUpload")).toHaveLength(2);
    expect(fake.multipartUploads(), "the first upload was aborted").toEqual([]);
    expect(logs.some((record) => String(record["msg"]).includes("no longer knows the multipart upload"))).toBe(true);
  });

  test("a completion refused with InvalidPart is started over from the source, not sent again for ever", async () => {
    const { fake, sink } = await harness();
    const data = randomBytes(3 * PART + 5);
    const source = body(data, (call) => {
      if (call === 1) fake.injectFault({ kind: "error", status: 400, code: "InvalidPart", methods: ["POST"], times: 1 });
    });
    await sink.putStream(object("parts", source.make));
    expect(source.calls()).toBe(2);
    expect(fake.getObject("logs", "parts")?.body.equals(data)).toBe(true);
    expect(fake.rejected("InvalidPart")).toHaveLength(1);
    expect(fake.multipartUploads(), "the refused upload was aborted").toEqual([]);
  });

  test("when the attempts run out the upload is aborted and the error names the key", async () => {
    const { fake, sink } = await harness();
    fake.injectFault({ kind: "error", status: 500, code: "InternalError", times: 1_000 });
    const failure = await sink.putStream(object("fails", body(randomBytes(3 * PART)).make)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UploadFailedError);
    expect((failure as UploadFailedError).message).toContain("s3://logs/fails");
    expect(operations(fake)).toContain("AbortMultipartUpload");
    expect(fake.multipartUploads()).toEqual([]);
    expect(fake.getObject("logs", "fails")).toBeUndefined();
  });

  test("a source that fails (the file shrank) is not retried: the upload is aborted and the error passes through", async () => {
    const { fake, sink } = await harness();
    let calls = 0;
    const failing = async function* (): AsyncGenerator<Buffer> {
      calls += 1;
      yield randomBytes(2 * PART);
      throw new RangeGoneError("bytes 131072-400000 are gone: the file ends at 131072");
    };
    await expect(sink.putStream(object("gone", failing))).rejects.toBeInstanceOf(RangeGoneError);
    expect(calls).toBe(1);
    expect(fake.multipartUploads()).toEqual([]);
    expect(fake.getObject("logs", "gone")).toBeUndefined();
  });

  test("an abort S3 refuses (no s3:AbortMultipartUpload) is logged, and the upload's own error still surfaces", async () => {
    const { fake, sink, logs } = await harness();
    fake.injectFault({ kind: "error", status: 500, code: "InternalError", times: 1_000 });
    fake.injectFault({ kind: "error", status: 403, code: "AccessDenied", methods: ["DELETE"] });
    const failure = await sink.putStream(object("orphan", body(randomBytes(3 * PART)).make)).catch((error: unknown) => error);
    expect((failure as UploadFailedError).code).toBe("InternalError");
    expect(fake.multipartUploads().map((upload) => upload.key)).toEqual(["orphan"]);
    const warning = logs.find((record) => String(record["msg"]).includes("could not abort"));
    expect(warning).toMatchObject({ key: "orphan", code: "AccessDenied" });
  });
});
