import { gzipSync } from "node:zlib";
import { Readable } from "node:stream";
import { connect } from "node:net";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { describe, expect, test } from "vitest";
import { FakeS3 } from "../../../src/fakes/s3/FakeS3.js";
import { InvalidBucketNameError } from "../../../src/fakes/s3/InvalidBucketNameError.js";
import { staticCredentialAuthority } from "./staticCredentialAuthority.js";
import { rejectionOf, s3ClientFor, startFake } from "./fixtures.js";

/** Every byte value, including sequences that are not valid UTF-8. */
const BINARY = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));

async function bodyBytes(output: { Body?: { transformToByteArray(): Promise<Uint8Array> } }): Promise<Buffer> {
  if (output.Body === undefined) throw new Error("no body");
  return Buffer.from(await output.Body.transformToByteArray());
}

describe("PutObject / GetObject with the real S3Client", () => {
  test("a Buffer body round-trips byte-exact, including non-UTF-8 and gzip bytes", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    const gz = gzipSync(Buffer.from("line one\nline two\n"));

    await s3.send(new PutObjectCommand({ Bucket: "logs", Key: "bin/raw", Body: BINARY }));
    await s3.send(
      new PutObjectCommand({
        Bucket: "logs",
        Key: "bin/log.gz",
        Body: gz,
        ContentType: "text/plain",
        ContentEncoding: "gzip",
        Metadata: { source: "app.log" },
      }),
    );

    expect(await bodyBytes(await s3.send(new GetObjectCommand({ Bucket: "logs", Key: "bin/raw" })))).toEqual(BINARY);
    const got = await s3.send(new GetObjectCommand({ Bucket: "logs", Key: "bin/log.gz" }));
    expect(await bodyBytes(got)).toEqual(gz);
    expect(got.ContentEncoding).toBe("gzip");
    expect(got.ContentType).toBe("text/plain");
    expect(got.Metadata).toEqual({ source: "app.log" });

    const stored = fake.getObject("logs", "bin/log.gz");
    expect(stored?.body.equals(gz)).toBe(true);
    expect(stored).toMatchObject({
      contentType: "text/plain",
      contentEncoding: "gzip",
      metadata: { source: "app.log" },
      putCount: 1,
      accessKeyId: cred.accessKeyId,
      checksum: { algorithm: "crc32" },
    });
    // The SDK's default (WHEN_SUPPORTED) sends a signed hex payload hash plus a CRC32 header.
    expect(stored?.headers["x-amz-content-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.headers["x-amz-checksum-crc32"]).toBe(stored?.checksum?.value);
    expect(stored?.headers).not.toHaveProperty("authorization");
    expect(stored?.headers).not.toHaveProperty("x-amz-security-token");
  });

  test("PutObject answers the ETag (quoted MD5) and echoes the CRC32", async () => {
    const { fake, cred } = await startFake();
    const out = await s3ClientFor(fake, cred).send(new PutObjectCommand({ Bucket: "logs", Key: "k", Body: "hello\n" }));
    expect(out.ETag).toBe('"b1946ac92492d2347c6235b4d2611184"');
    expect(out.ChecksumCRC32).toBe(fake.getObject("logs", "k")?.checksum?.value);
  });

  test("a Readable body with ContentLength (aws-chunked + trailer) is stored decoded", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    const chunks = [BINARY.subarray(0, 100), BINARY.subarray(100, 300), BINARY.subarray(300)];

    await s3.send(
      new PutObjectCommand({ Bucket: "logs", Key: "streamed", Body: Readable.from(chunks), ContentLength: BINARY.length }),
    );

    const stored = fake.getObject("logs", "streamed");
    expect(stored?.body.equals(BINARY)).toBe(true);
    expect(stored?.headers["x-amz-content-sha256"]).toBe("STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    expect(stored?.headers["content-encoding"]).toBe("aws-chunked");
    expect(stored?.contentEncoding).toBeUndefined();
    expect(stored?.checksum?.algorithm).toBe("crc32");
    expect(await bodyBytes(await s3.send(new GetObjectCommand({ Bucket: "logs", Key: "streamed" })))).toEqual(BINARY);
  });

  test('requestChecksumCalculation "WHEN_REQUIRED": Buffer (signed hash) and Readable (UNSIGNED-PAYLOAD)', async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred, { requestChecksumCalculation: "WHEN_REQUIRED" });

    await s3.send(new PutObjectCommand({ Bucket: "logs", Key: "buffer", Body: BINARY }));
    await s3.send(
      new PutObjectCommand({ Bucket: "logs", Key: "stream", Body: Readable.from([BINARY]), ContentLength: BINARY.length }),
    );

    const buffered = fake.getObject("logs", "buffer");
    expect(buffered?.body.equals(BINARY)).toBe(true);
    expect(buffered?.checksum).toBeUndefined();
    expect(buffered?.headers["x-amz-content-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    const streamed = fake.getObject("logs", "stream");
    expect(streamed?.body.equals(BINARY)).toBe(true);
    expect(streamed?.headers["x-amz-content-sha256"]).toBe("UNSIGNED-PAYLOAD");
  });

  test("GetObject with ChecksumMode ENABLED returns the stored CRC32, which the SDK validates", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    await s3.send(new PutObjectCommand({ Bucket: "logs", Key: "k", Body: BINARY }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "logs", Key: "k", ChecksumMode: "ENABLED" }));
    expect(got.ChecksumCRC32).toBe(fake.getObject("logs", "k")?.checksum?.value);
    expect(await bodyBytes(got)).toEqual(BINARY);
  });

  test("putCount counts every write of a key; HeadObject, DeleteObject and NoSuchKey behave as S3", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    await s3.send(new PutObjectCommand({ Bucket: "logs", Key: "k", Body: "one" }));
    await s3.send(new PutObjectCommand({ Bucket: "logs", Key: "k", Body: "two" }));
    expect(fake.getObject("logs", "k")).toMatchObject({ putCount: 2, body: Buffer.from("two") });

    const head = await s3.send(new HeadObjectCommand({ Bucket: "logs", Key: "k" }));
    expect(head.ContentLength).toBe(3);

    await s3.send(new DeleteObjectCommand({ Bucket: "logs", Key: "k" }));
    expect(fake.getObject("logs", "k")).toBeUndefined();
    const missing = await rejectionOf(s3.send(new GetObjectCommand({ Bucket: "logs", Key: "k" })));
    expect(missing.name).toBe("NoSuchKey");
    const headMissing = await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: "logs", Key: "k" })));
    expect(headMissing.$metadata.httpStatusCode).toBe(404);
  });

  test("PutObject to a bucket that does not exist is NoSuchBucket 404", async () => {
    const { fake, cred } = await startFake();
    const error = await rejectionOf(
      s3ClientFor(fake, cred).send(new PutObjectCommand({ Bucket: "nope", Key: "k", Body: "x" })),
    );
    expect(error.name).toBe("NoSuchBucket");
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(fake.rejected("NoSuchBucket")).toHaveLength(1);
  });

  test("a key over 1024 bytes of UTF-8 is KeyTooLongError 400; 1024 bytes is stored", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    const error = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: "logs", Key: `${"é".repeat(512)}x`, Body: "x" })));
    expect(error.name).toBe("KeyTooLongError");
    expect(error.$metadata.httpStatusCode).toBe(400);
    await s3.send(new PutObjectCommand({ Bucket: "logs", Key: "é".repeat(512), Body: "x" }));
    expect(fake.getObject("logs", "é".repeat(512))).toBeDefined();
  });

  test("If-None-Match: * makes a second PutObject of the same key fail with PreconditionFailed", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    await s3.send(new PutObjectCommand({ Bucket: "logs", Key: "once", Body: "a", IfNoneMatch: "*" }));
    const error = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: "logs", Key: "once", Body: "b", IfNoneMatch: "*" })));
    expect(error.name).toBe("PreconditionFailed");
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(fake.getObject("logs", "once")).toMatchObject({ putCount: 1, body: Buffer.from("a") });
  });

  test("operations this server lacks are 501 NotImplemented, not silently misread", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    await s3.send(new PutObjectCommand({ Bucket: "logs", Key: "source", Body: "x" }));
    const error = await rejectionOf(s3.send(new CopyObjectCommand({ Bucket: "logs", Key: "copy", CopySource: "logs/source" })));
    expect(error.name).toBe("NotImplemented");
    expect(error.$metadata.httpStatusCode).toBe(501);
    expect(fake.getObject("logs", "copy")).toBeUndefined();
  });
});

describe("buckets", () => {
  test("CreateBucket, HeadBucket, ListBuckets and BucketAlreadyOwnedByYou", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    const missing = await rejectionOf(s3.send(new HeadBucketCommand({ Bucket: "fresh" })));
    expect(missing.$metadata.httpStatusCode).toBe(404);

    await s3.send(new CreateBucketCommand({ Bucket: "fresh" }));
    await s3.send(new HeadBucketCommand({ Bucket: "fresh" }));
    const again = await rejectionOf(s3.send(new CreateBucketCommand({ Bucket: "fresh" })));
    expect(again.name).toBe("BucketAlreadyOwnedByYou");
    const listed = await s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((b) => b.Name)).toEqual(["fresh", "logs"]);

    const invalid = await rejectionOf(s3.send(new CreateBucketCommand({ Bucket: "Bad_Name" })));
    expect(invalid.name).toBe("InvalidBucketName");
  });

  test("createBucket() makes a bucket writable; invalid names are refused", async () => {
    const { fake, cred } = await startFake();
    fake.createBucket("later");
    await s3ClientFor(fake, cred).send(new PutObjectCommand({ Bucket: "later", Key: "k", Body: "x" }));
    expect(fake.listObjects("later").map((o) => o.key)).toEqual(["k"]);
    expect(() => fake.createBucket("UPPER")).toThrow(InvalidBucketNameError);
  });
});

describe("ListObjectsV2 via the SDK", () => {
  const KEYS = ["a.log", "dir/x y.log", "dir/sub/1.log", "dir/sub/2.log", "dir/z+1.log", "é/accent", "z"];

  async function seeded() {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    for (const key of KEYS) await s3.send(new PutObjectCommand({ Bucket: "logs", Key: key, Body: key }));
    return { fake, s3 };
  }

  test("prefix and delimiter give keys and common prefixes, as `aws s3 ls` needs", async () => {
    const { s3 } = await seeded();
    const all = await s3.send(new ListObjectsV2Command({ Bucket: "logs" }));
    expect(all.Contents?.map((o) => o.Key)).toEqual([...KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(all.KeyCount).toBe(KEYS.length);
    expect(all.Contents?.[0]).toMatchObject({ Size: 5, StorageClass: "STANDARD" });

    const dir = await s3.send(new ListObjectsV2Command({ Bucket: "logs", Prefix: "dir/", Delimiter: "/" }));
    expect(dir.Contents?.map((o) => o.Key)).toEqual(["dir/x y.log", "dir/z+1.log"]);
    expect(dir.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["dir/sub/"]);
  });

  test("pages with MaxKeys and ContinuationToken cover every entry exactly once", async () => {
    const { s3 } = await seeded();
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: "logs", Delimiter: "/", MaxKeys: 1, ...(token === undefined ? {} : { ContinuationToken: token }) }),
      );
      pages += 1;
      seen.push(...(page.Contents ?? []).map((o) => o.Key ?? ""), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ""));
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    expect(pages).toBe(4);
    expect(seen.sort()).toEqual(["a.log", "dir/", "z", "é/"].sort());
  });

  test("an unknown bucket is NoSuchBucket", async () => {
    const { s3 } = await seeded();
    expect((await rejectionOf(s3.send(new ListObjectsV2Command({ Bucket: "nope" })))).name).toBe("NoSuchBucket");
  });
});

describe("lifecycle", () => {
  test("close() ends idle keep-alive connections promptly", async () => {
    const cred = { accessKeyId: "AKIDLIFECYCLE", secretAccessKey: "s", sessionToken: "", expiration: new Date(8.64e15), revoked: false };
    const fake = await FakeS3.start({ authority: staticCredentialAuthority([cred]) });
    const url = new URL(fake.endpoint);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once("connect", resolve));
    const closedAt = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
    const started = Date.now();
    await fake.close();
    expect((await closedAt) - started).toBeLessThan(1000);
  });
});

test("invalid options are refused without leaving a server listening", async () => {
  const authority = staticCredentialAuthority([]);
  await expect(FakeS3.start({ authority, maxBytesPerSecond: 0 })).rejects.toThrow(RangeError);
  await expect(FakeS3.start({ authority, maxSkewMs: -1 })).rejects.toThrow(RangeError);
  await expect(FakeS3.start({ authority, buckets: ["Not A Bucket"] })).rejects.toThrow(InvalidBucketNameError);
});
