import { AwsChunkedDecodeError } from "./AwsChunkedDecodeError.js";

export interface DecodedAwsChunked {
  /** The payload with the framing removed. */
  readonly body: Buffer;
  /** Trailing headers, lower-case names (e.g. `x-amz-checksum-crc32`). */
  readonly trailers: Readonly<Record<string, string>>;
}

const CRLF = Buffer.from("\r\n");
const CHUNK_SIZE = /^([0-9a-fA-F]+)(;.*)?$/;

/**
 * Decodes an `aws-chunked` body (S3 "sigv4-streaming-trailers"): `hex-size[;ext]\r\n data \r\n`
 * repeated, a `0\r\n` last chunk, then `name:value\r\n` trailer lines and a final `\r\n`.
 * Chunk extensions (`;chunk-signature=…`) are skipped here; whoever accepts a signed-chunk
 * payload mode must verify them. Throws `AwsChunkedDecodeError` on any framing fault.
 */
export function decodeAwsChunked(framed: Buffer): DecodedAwsChunked {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const line = readLine(framed, pos, "chunk size");
    const match = CHUNK_SIZE.exec(line.text);
    if (match?.[1] === undefined) throw new AwsChunkedDecodeError(`invalid chunk size line at byte ${pos}`);
    const size = Number.parseInt(match[1], 16);
    pos = line.next;
    if (size === 0) break;
    if (!Number.isSafeInteger(size) || pos + size + CRLF.length > framed.length) {
      throw new AwsChunkedDecodeError(`chunk of ${match[1]} bytes at byte ${pos} runs past the end of the body`);
    }
    chunks.push(framed.subarray(pos, pos + size));
    pos += size;
    if (!framed.subarray(pos, pos + CRLF.length).equals(CRLF)) {
      throw new AwsChunkedDecodeError(`chunk data at byte ${pos} is not followed by CRLF`);
    }
    pos += CRLF.length;
  }

  const trailers = Object.create(null) as Record<string, string>;
  for (;;) {
    const line = readLine(framed, pos, "trailer");
    pos = line.next;
    if (line.text === "") break;
    const colon = line.text.indexOf(":");
    if (colon <= 0) throw new AwsChunkedDecodeError("trailer line without a name");
    trailers[line.text.slice(0, colon).trim().toLowerCase()] = line.text.slice(colon + 1).trim();
  }
  if (pos !== framed.length) throw new AwsChunkedDecodeError(`${framed.length - pos} bytes after the end of the trailer`);
  return { body: Buffer.concat(chunks), trailers };
}

function readLine(buffer: Buffer, from: number, what: string): { text: string; next: number } {
  const end = buffer.indexOf(CRLF, from);
  if (end === -1) throw new AwsChunkedDecodeError(`body ends inside a ${what} line`);
  return { text: buffer.toString("latin1", from, end), next: end + CRLF.length };
}
