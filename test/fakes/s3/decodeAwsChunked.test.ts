import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { AwsChunkedDecodeError } from "../../../src/fakes/s3/AwsChunkedDecodeError.js";
import { decodeAwsChunked } from "../../../src/fakes/s3/decodeAwsChunked.js";

const frame = (parts: readonly Uint8Array[], trailer: string) =>
  Buffer.concat([
    ...parts.flatMap((p) => [Buffer.from(`${p.length.toString(16)}\r\n`), Buffer.from(p), Buffer.from("\r\n")]),
    Buffer.from(`0\r\n${trailer}\r\n`),
  ]);

describe("decodeAwsChunked", () => {
  test("decodes the JS SDK's framing (captured on the wire)", () => {
    const wire = Buffer.from("24\r\n" + "a".repeat(36) + "\r\n0\r\nx-amz-checksum-crc32:6wn4jA==\r\n\r\n");
    expect(decodeAwsChunked(wire)).toEqual({ body: Buffer.from("a".repeat(36)), trailers: { "x-amz-checksum-crc32": "6wn4jA==" } });
  });

  test("any split of any bytes round-trips, with chunk extensions ignored", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 8 }), (parts) => {
        const decoded = decodeAwsChunked(frame(parts, "X-Amz-Checksum-Sha256: abc=\r\n"));
        expect(decoded.body).toEqual(Buffer.concat(parts));
        expect(decoded.trailers).toEqual({ "x-amz-checksum-sha256": "abc=" });
      }),
    );
    expect(decodeAwsChunked(Buffer.from("3;chunk-signature=00\r\nabc\r\n0\r\n\r\n")).body).toEqual(Buffer.from("abc"));
  });

  test.each([
    ["truncated data", "a\r\nabc"],
    ["missing CRLF after data", "3\r\nabcX\r\n0\r\n\r\n"],
    ["bad size", "zz\r\nabc\r\n0\r\n\r\n"],
    ["no final CRLF", "3\r\nabc\r\n0\r\n"],
    ["bytes after the trailer", "3\r\nabc\r\n0\r\n\r\nextra"],
    ["trailer without name", "0\r\n:x\r\n\r\n"],
  ])("rejects %s", (_, wire) => {
    expect(() => decodeAwsChunked(Buffer.from(wire))).toThrow(AwsChunkedDecodeError);
  });
});
