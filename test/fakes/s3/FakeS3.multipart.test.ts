import { createHash, randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import { describe, expect, test } from "vitest";
import type { FakeS3 } from "../../../src/fakes/s3/FakeS3.js";
import { rejectionOf, s3ClientFor, startFake } from "./fixtures.js";
import { sendSigned } from "./sendSigned.js";

const MiB = 1024 * 1024;

/** Bytes of every value, so that nothing depends on text. */
const bytes = (length: number): Buffer => randomBytes(length);

const md5 = (data: Buffer): Buffer => createHash("md5").update(data).digest();

async function create(s3: S3Client, key: string, checksum = true): Promise<string> {
  const out = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: "logs",
      Key: key,
      ContentType: "application/gzip",
      Metadata: { "byte-range": "0-10" },
      ...(checksum ? { ChecksumAlgorithm: "CRC32" as const } : {}),
    }),
  );
  if (out.UploadId === undefined) throw new Error("no UploadId");
  return out.UploadId;
}

async function uploadParts(s3: S3Client, key: string, uploadId: string, parts: readonly Buffer[]): Promise<CompletedPart[]> {
  const completed: CompletedPart[] = [];
  for (const [index, body] of parts.entries()) {
    const out = await s3.send(new UploadPartCommand({ Bucket: "logs", Key: key, UploadId: uploadId, PartNumber: index + 1, Body: body }));
    completed.push({
      PartNumber: index + 1,
      ETag: out.ETag,
      ...(out.ChecksumCRC32 === undefined ? {} : { ChecksumCRC32: out.ChecksumCRC32 }),
    });
  }
  return completed;
}

function complete(s3: S3Client, key: string, uploadId: string, parts: CompletedPart[]) {
  return s3.send(new CompleteMultipartUploadCommand({ Bucket: "logs", Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
}

async function storedBytes(s3: S3Client, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: "logs", Key: key, ChecksumMode: "ENABLED" }));
  return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
}

const openUploads = (fake: FakeS3) => fake.multipartUploads("logs").map((upload) => upload.key);

describe("multipart uploads with the real S3Client", () => {
  test("parts of 5 MiB and a small last one become one object: bytes, ETag, composite checksum, Create's headers", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    const parts = [bytes(5 * MiB), bytes(5 * MiB), bytes(1234)];
    const uploadId = await create(s3, "big/object.gz");
    const completedParts = await uploadParts(s3, "big/object.gz", uploadId, parts);
    expect(fake.multipartUploads()).toEqual([expect.objectContaining({ uploadId, key: "big/object.gz", parts: [1, 2, 3] })]);

    const out = await complete(s3, "big/object.gz", uploadId, completedParts);

    const expectedEtag = `"${md5(Buffer.concat(parts.map(md5))).toString("hex")}-3"`;
    expect(out.ETag).toBe(expectedEtag);
    expect(out.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==-3$/);
    expect(out.ChecksumType).toBe("COMPOSITE");
    const stored = fake.getObject("logs", "big/object.gz");
    expect(stored?.body.equals(Buffer.concat(parts))).toBe(true);
    expect(stored).toMatchObject({ etag: expectedEtag, putCount: 1, contentType: "application/gzip", metadata: { "byte-range": "0-10" } });
    expect(stored?.checksum).toEqual({ algorithm: "crc32", value: out.ChecksumCRC32, type: "COMPOSITE" });
    expect((await storedBytes(s3, "big/object.gz")).equals(Buffer.concat(parts))).toBe(true);
    expect(openUploads(fake)).toEqual([]);
    expect(fake.requests.map((request) => request.operation)).toEqual([
      "CreateMultipartUpload",
      "UploadPart",
      "UploadPart",
      "UploadPart",
      "CompleteMultipartUpload",
      "GetObject",
    ]);
  });

  test("without checksums (--checksum when-required): no algorithm declared, none on the parts, none stored", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred, { requestChecksumCalculation: "WHEN_REQUIRED" });
    const parts = [bytes(5 * MiB), bytes(10)];
    const uploadId = await create(s3, "plain", false);
    await complete(s3, "plain", uploadId, await uploadParts(s3, "plain", uploadId, parts));
    const stored = fake.getObject("logs", "plain");
    expect(stored?.body.equals(Buffer.concat(parts))).toBe(true);
    expect(stored?.checksum).toBeUndefined();
  });

  test("a single part (smaller than 5 MiB) is a valid upload", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    const uploadId = await create(s3, "one");
    await complete(s3, "one", uploadId, await uploadParts(s3, "one", uploadId, [Buffer.from("tiny\n")]));
    expect(fake.getObject("logs", "one")?.body.toString()).toBe("tiny\n");
  });

  test("parts must carry the checksum the upload declared, and only that one", async () => {
    const { fake, cred } = await startFake();
    // The SDK puts a CRC32 on every part by default: an upload created without an algorithm refuses it, as S3 does.
    const s3 = s3ClientFor(fake, cred);
    const undeclared = await create(s3, "undeclared", false);
    const mismatch = await rejectionOf(s3.send(new UploadPartCommand({ Bucket: "logs", Key: "undeclared", UploadId: undeclared, PartNumber: 1, Body: "x" })));
    expect(mismatch.name).toBe("InvalidRequest");
    expect(mismatch.message).toBe("Checksum Type mismatch occurred, expected checksum Type: null, actual checksum Type: crc32");

    const plain = s3ClientFor(fake, cred, { requestChecksumCalculation: "WHEN_REQUIRED" });
    const declared = await create(s3, "declared");
    const missing = await rejectionOf(plain.send(new UploadPartCommand({ Bucket: "logs", Key: "declared", UploadId: declared, PartNumber: 1, Body: "x" })));
    expect(missing.message).toBe("Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: null");
    const sha = await rejectionOf(
      s3.send(new UploadPartCommand({ Bucket: "logs", Key: "declared", UploadId: declared, PartNumber: 1, Body: "x", ChecksumAlgorithm: "SHA256" })),
    );
    expect(sha.message).toBe("Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: sha256");
  });

  test("CompleteMultipartUpload checks the part list as S3 does", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    const uploadId = await create(s3, "k");
    const [first, second] = await uploadParts(s3, "k", uploadId, [bytes(4 * MiB), bytes(100)]);
    if (first === undefined || second === undefined) throw new Error("two parts");

    const tooSmall = await rejectionOf(complete(s3, "k", uploadId, [first, second]));
    expect(tooSmall.name).toBe("EntityTooSmall");
    expect(tooSmall.$metadata.httpStatusCode).toBe(400);
    expect((await rejectionOf(complete(s3, "k", uploadId, [second, first]))).name).toBe("InvalidPartOrder");
    expect((await rejectionOf(complete(s3, "k", uploadId, [{ ...first, ETag: '"0123456789abcdef0123456789abcdef"' }]))).name).toBe("InvalidPart");
    expect((await rejectionOf(complete(s3, "k", uploadId, [{ ...second, PartNumber: 7 }]))).name).toBe("InvalidPart");
    expect((await rejectionOf(complete(s3, "k", uploadId, [{ ...first, ChecksumCRC32: "AAAAAA==" }]))).name).toBe("InvalidPart");
    const { ChecksumCRC32: _dropped, ...withoutChecksum } = first;
    const missing = await rejectionOf(complete(s3, "k", uploadId, [withoutChecksum]));
    expect(missing.name).toBe("InvalidRequest");
    expect(missing.message).toMatch(/created using a crc32 checksum.*missing for part 1/);
    expect(fake.getObject("logs", "k")).toBeUndefined();

    // A part may be uploaded again; the list may leave parts out. The upload is still open, so both work.
    const [bigFirst] = await uploadParts(s3, "k", uploadId, [bytes(5 * MiB)]);
    if (bigFirst === undefined) throw new Error("part");
    await complete(s3, "k", uploadId, [bigFirst, second]);
    expect(fake.getObject("logs", "k")?.body.length).toBe(5 * MiB + 100);
  });

  test("a completed or aborted upload is NoSuchUpload; each completion counts as one write of the key", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    const firstId = await create(s3, "same");
    const parts = await uploadParts(s3, "same", firstId, [Buffer.from("one\n")]);
    await complete(s3, "same", firstId, parts);
    const again = await rejectionOf(complete(s3, "same", firstId, parts));
    expect(again.name).toBe("NoSuchUpload");
    expect(again.$metadata.httpStatusCode).toBe(404);

    const secondId = await create(s3, "same");
    await complete(s3, "same", secondId, await uploadParts(s3, "same", secondId, [Buffer.from("two\n")]));
    expect(fake.getObject("logs", "same")).toMatchObject({ putCount: 2, body: Buffer.from("two\n") });

    const abortedId = await create(s3, "same");
    await uploadParts(s3, "same", abortedId, [Buffer.from("three\n")]);
    expect(openUploads(fake)).toEqual(["same"]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: "logs", Key: "same", UploadId: abortedId }));
    expect(openUploads(fake)).toEqual([]);
    expect((await rejectionOf(s3.send(new AbortMultipartUploadCommand({ Bucket: "logs", Key: "same", UploadId: abortedId })))).name).toBe("NoSuchUpload");
    const late = await rejectionOf(s3.send(new UploadPartCommand({ Bucket: "logs", Key: "same", UploadId: abortedId, PartNumber: 2, Body: "x" })));
    expect(late.name).toBe("NoSuchUpload");
    // An upload id belongs to its key.
    const otherId = await create(s3, "other");
    expect((await rejectionOf(s3.send(new AbortMultipartUploadCommand({ Bucket: "logs", Key: "same", UploadId: otherId })))).name).toBe("NoSuchUpload");
    expect(fake.getObject("logs", "same")).toMatchObject({ putCount: 2, body: Buffer.from("two\n") });
  });

  test("UploadPart verifies the signature and payload like PutObject, and refuses encryption headers", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred, { requestChecksumCalculation: "WHEN_REQUIRED" });
    const uploadId = await create(s3, "raw", false);
    const part = (headers: Record<string, string>, extra: Partial<Parameters<typeof sendSigned>[2]> = {}) =>
      sendSigned(fake, cred, { method: "PUT", path: "/logs/raw", query: { partNumber: "1", uploadId }, body: Buffer.from("data"), headers, ...extra });

    const tampered = await part({}, { unsignedHeaders: { "x-amz-content-sha256": createHash("sha256").update("other").digest("hex") } });
    expect(tampered.status).toBe(403);
    expect(tampered.body).toContain("<Code>SignatureDoesNotMatch</Code>");
    const wrongHash = await part({}, { payloadHash: createHash("sha256").update("other").digest("hex") });
    expect(wrongHash.body).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    const badCrc = await part({ "x-amz-checksum-crc32": "AAAAAA==" });
    expect(badCrc.body).toContain("<Code>BadDigest</Code>");
    const sse = await part({ "x-amz-server-side-encryption": "aws:kms" });
    expect(sse.status).toBe(400);
    expect(sse.body).toContain("<Code>InvalidArgument</Code>");
    const badNumber = await sendSigned(fake, cred, { method: "PUT", path: "/logs/raw", query: { partNumber: "10001", uploadId }, body: Buffer.from("x") });
    expect(badNumber.body).toContain("<Code>InvalidArgument</Code>");
    cred.expiration = new Date(Date.now() - 1000);
    const late = await part({});
    expect(late.body).toContain("<Code>ExpiredToken</Code>");
    expect(fake.multipartUploads()[0]?.parts).toEqual([]);
  });

  test("malformed part lists are MalformedXML; ListParts is NotImplemented, not mistaken for GetObject", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    const uploadId = await create(s3, "xml");
    const post = (body: string) => sendSigned(fake, cred, { method: "POST", path: "/logs/xml", query: { uploadId }, body: Buffer.from(body) });
    for (const body of ["", "<CompleteMultipartUpload></CompleteMultipartUpload>", "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>", "not xml"]) {
      expect((await post(body)).body, body).toContain("<Code>MalformedXML</Code>");
    }
    const list = await sendSigned(fake, cred, { method: "GET", path: "/logs/xml", query: { uploadId } });
    expect(list.status).toBe(501);
  });

  test("faults: deny refuses the upload's writes as an IAM policy on s3:PutObject would; a stall holds a part", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred, { maxAttempts: 1 });
    fake.injectFault({ kind: "deny", keyPrefix: "secret/" });
    expect((await rejectionOf(create(s3, "secret/x"))).name).toBe("AccessDenied");
    fake.clearFaults();

    const uploadId = await create(s3, "slow");
    fake.injectFault({ kind: "stall", forMs: 300, times: 1 });
    const started = Date.now();
    await complete(s3, "slow", uploadId, await uploadParts(s3, "slow", uploadId, [Buffer.from("held\n")]));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(fake.getObject("logs", "slow")?.body.toString()).toBe("held\n");
  });
});
