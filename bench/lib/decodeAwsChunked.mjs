// @ts-check
import { AwsChunkedError } from "./AwsChunkedError.mjs";

const CRLF = Buffer.from("\r\n");

/**
 * The payload of an aws-chunked body (`SIZE_HEX[;chunk-signature=…]\r\nDATA\r\n`
 * … `0\r\n` trailers `\r\n`), as the SDK sends streams with trailing
 * checksums. Signatures and checksums are not checked: the bench trusts its client.
 * @param {Buffer} body
 * @returns {Buffer}
 */
export function decodeAwsChunked(body) {
  /** @type {Buffer[]} */
  const parts = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf(CRLF, at);
    if (eol === -1) throw new AwsChunkedError(`chunk header without CRLF at byte ${at}`);
    const header = body.subarray(at, eol).toString("latin1");
    const size = Number.parseInt(header.split(";")[0] ?? "", 16);
    if (!Number.isFinite(size) || size < 0) throw new AwsChunkedError(`bad chunk size ${JSON.stringify(header)}`);
    at = eol + 2;
    if (size === 0) return Buffer.concat(parts); // trailers follow; nothing in them is payload
    if (at + size + 2 > body.length) throw new AwsChunkedError(`chunk of ${size} bytes runs past the body`);
    parts.push(body.subarray(at, at + size));
    at += size + 2;
  }
}
