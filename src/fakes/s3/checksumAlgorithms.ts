import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";

/** The flexible-checksum algorithms S3 defines, as they appear in `x-amz-checksum-<name>`. */
const CHECKSUM_ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

/**
 * The base64 checksum S3 would compute for `body` (CRC-32 big-endian, as zlib computes it;
 * SHA digests raw), or `undefined` for the algorithms this server cannot compute
 * (CRC-32C and CRC-64/NVME have no node:crypto or node:zlib implementation).
 */
export function computeChecksum(algorithm: ChecksumAlgorithm, body: Buffer): string | undefined {
  switch (algorithm) {
    case "crc32": {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(body));
      return out.toString("base64");
    }
    case "sha1":
    case "sha256":
      return createHash(algorithm).update(body).digest("base64");
    case "crc32c":
    case "crc64nvme":
      return undefined;
  }
}

/** Digest length in bytes, used to reject a malformed checksum value before comparing. */
export function checksumLength(algorithm: ChecksumAlgorithm): number {
  switch (algorithm) {
    case "crc32":
    case "crc32c":
      return 4;
    case "crc64nvme":
      return 8;
    case "sha1":
      return 20;
    case "sha256":
      return 32;
  }
}
