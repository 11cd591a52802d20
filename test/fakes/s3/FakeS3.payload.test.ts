import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { describe, expect, test } from "vitest";
import { startFake } from "./fixtures.js";
import { errorCode, sendSigned } from "./sendSigned.js";

const BODY = Buffer.from("2025-01-01T00:00:00Z first line\n2025-01-01T00:00:01Z second line\n");

function crc32Base64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString("base64");
}

function awsChunked(parts: readonly Buffer[], trailer: string): Buffer {
  const framed = parts.flatMap((part) => [Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from("\r\n")]);
  return Buffer.concat([...framed, Buffer.from(trailer === "" ? "0\r\n\r\n" : `0\r\n${trailer}\r\n\r\n`)]);
}

function streamingHeaders(decodedLength: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": String(decodedLength),
    "x-amz-trailer": "x-amz-checksum-crc32",
    "x-amz-sdk-checksum-algorithm": "CRC32",
    ...extra,
  };
}

const putRequest = { method: "PUT", path: "/logs/obj" } as const;

describe("payload verification", () => {
  test("a body other than the signed one: XAmzContentSHA256Mismatch 400, nothing stored", async () => {
    const { fake, cred } = await startFake();
    const tampered = Buffer.from(BODY);
    tampered[0] = 0x31;
    const response = await sendSigned(fake, cred, {
      ...putRequest,
      body: tampered,
      payloadHash: createHash("sha256").update(BODY).digest("hex"),
    });
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe("XAmzContentSHA256Mismatch");
    expect(response.body).toContain(`<S3ComputedContentSHA256>${createHash("sha256").update(tampered).digest("hex")}`);
    expect(fake.getObject("logs", "obj")).toBeUndefined();
  });

  test("UNSIGNED-PAYLOAD is accepted as is", async () => {
    const { fake, cred } = await startFake();
    const response = await sendSigned(fake, cred, { ...putRequest, body: BODY, payloadHash: "UNSIGNED-PAYLOAD" });
    expect(response.status).toBe(200);
    expect(fake.getObject("logs", "obj")?.body.equals(BODY)).toBe(true);
  });

  test("x-amz-checksum-crc32 that does not match the body: BadDigest 400", async () => {
    const { fake, cred } = await startFake();
    const good = await sendSigned(fake, cred, { ...putRequest, body: BODY, headers: { "x-amz-checksum-crc32": crc32Base64(BODY) } });
    expect(good.status).toBe(200);
    expect(good.headers["x-amz-checksum-crc32"]).toBe(crc32Base64(BODY));
    const bad = await sendSigned(fake, cred, {
      ...putRequest,
      body: BODY,
      headers: { "x-amz-checksum-crc32": crc32Base64(Buffer.from("other")) },
    });
    expect(bad.status).toBe(400);
    expect(errorCode(bad)).toBe("BadDigest");
    expect(fake.getObject("logs", "obj")?.putCount).toBe(1);
  });

  test("Content-MD5 is verified when present", async () => {
    const { fake, cred } = await startFake();
    const md5 = createHash("md5").update(BODY).digest("base64");
    expect((await sendSigned(fake, cred, { ...putRequest, body: BODY, headers: { "content-md5": md5 } })).status).toBe(200);
    const wrong = createHash("md5").update("other").digest("base64");
    expect(errorCode(await sendSigned(fake, cred, { ...putRequest, body: BODY, headers: { "content-md5": wrong } }))).toBe("BadDigest");
    expect(errorCode(await sendSigned(fake, cred, { ...putRequest, body: BODY, headers: { "content-md5": "nope" } }))).toBe(
      "InvalidDigest",
    );
  });

  test("x-amz-sdk-checksum-algorithm without its checksum: InvalidRequest", async () => {
    const { fake, cred } = await startFake();
    const response = await sendSigned(fake, cred, { ...putRequest, body: BODY, headers: { "x-amz-sdk-checksum-algorithm": "CRC32" } });
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe("InvalidRequest");
  });

  test("checksums this server cannot compute are NotImplemented, never accepted unverified", async () => {
    const { fake, cred } = await startFake();
    const response = await sendSigned(fake, cred, { ...putRequest, body: BODY, headers: { "x-amz-checksum-crc32c": "AAAAAA==" } });
    expect(response.status).toBe(501);
    expect(fake.getObject("logs", "obj")).toBeUndefined();
  });
});

describe("aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER)", () => {
  const streaming = { ...putRequest, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", chunked: true } as const;

  test("several chunks are stored decoded; aws-chunked is dropped from Content-Encoding", async () => {
    const { fake, cred } = await startFake();
    const parts = [BODY.subarray(0, 10), BODY.subarray(10, 11), BODY.subarray(11)];
    const response = await sendSigned(fake, cred, {
      ...streaming,
      body: awsChunked(parts, `x-amz-checksum-crc32:${crc32Base64(BODY)}`),
      headers: streamingHeaders(BODY.length, { "content-encoding": "aws-chunked,gzip" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers["x-amz-checksum-crc32"]).toBe(crc32Base64(BODY));
    const stored = fake.getObject("logs", "obj");
    expect(stored?.body.equals(BODY)).toBe(true);
    expect(stored?.contentEncoding).toBe("gzip");
  });

  test("a trailer checksum that does not match: BadDigest", async () => {
    const { fake, cred } = await startFake();
    const response = await sendSigned(fake, cred, {
      ...streaming,
      body: awsChunked([BODY], `x-amz-checksum-crc32:${crc32Base64(Buffer.from("x"))}`),
      headers: streamingHeaders(BODY.length),
    });
    expect(errorCode(response)).toBe("BadDigest");
    expect(fake.getObject("logs", "obj")).toBeUndefined();
  });

  test("decoded length other than x-amz-decoded-content-length, or broken framing: IncompleteBody", async () => {
    const { fake, cred } = await startFake();
    const framed = awsChunked([BODY], `x-amz-checksum-crc32:${crc32Base64(BODY)}`);
    const wrongLength = await sendSigned(fake, cred, { ...streaming, body: framed, headers: streamingHeaders(BODY.length + 1) });
    const truncated = await sendSigned(fake, cred, {
      ...streaming,
      body: framed.subarray(0, framed.length - 5),
      headers: streamingHeaders(BODY.length),
    });
    expect([errorCode(wrongLength), errorCode(truncated)]).toEqual(["IncompleteBody", "IncompleteBody"]);
  });

  test("a trailer announced but not sent: InvalidRequest", async () => {
    const { fake, cred } = await startFake();
    const response = await sendSigned(fake, cred, { ...streaming, body: awsChunked([BODY], ""), headers: streamingHeaders(BODY.length) });
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe("InvalidRequest");
  });

  test("signed-chunk streaming is NotImplemented", async () => {
    const { fake, cred } = await startFake();
    const response = await sendSigned(fake, cred, {
      ...streaming,
      payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      body: awsChunked([BODY], ""),
      headers: { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(BODY.length) },
    });
    expect(response.status).toBe(501);
  });
});

test("PutObject without Content-Length (plain chunked transfer): MissingContentLength 411", async () => {
  const { fake, cred } = await startFake();
  const response = await sendSigned(fake, cred, { ...putRequest, body: BODY, payloadHash: "UNSIGNED-PAYLOAD", chunked: true });
  expect(response.status).toBe(411);
  expect(errorCode(response)).toBe("MissingContentLength");
});

test("a body larger than maxObjectBytes: EntityTooLarge", async () => {
  const { fake, cred } = await startFake({ maxObjectBytes: 10 });
  const response = await sendSigned(fake, cred, { ...putRequest, body: BODY });
  expect(response.status).toBe(400);
  expect(errorCode(response)).toBe("EntityTooLarge");
});

test("a chunked body that grows past maxObjectBytes is answered EntityTooLarge, not reset", async () => {
  const { fake, cred } = await startFake({ maxObjectBytes: 64 });
  const data = Buffer.alloc(100_000, 1);
  const framed = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n0\r\n\r\n")]);
  const response = await sendSigned(fake, cred, {
    ...putRequest,
    payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    chunked: true,
    body: framed,
    // Understates the size, so only counting the bytes as they arrive can catch it.
    headers: { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "10" },
  });
  expect(response.status).toBe(400);
  expect(errorCode(response)).toBe("EntityTooLarge");
});
