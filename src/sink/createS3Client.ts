import type { S3Client } from "@aws-sdk/client-s3";
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import type { Logger } from "pino";
import { sdkLogger } from "../credentials/sdkLogger.js";
import { clientS3 } from "./clientS3.js";

export interface S3ClientOptions {
  region: string;
  endpoint: string | undefined;
  credentials: () => Promise<AwsCredentialIdentity>;
  /** Handed to the SDK only at debug level (see below). */
  logger: Logger;
  /** "when-required" for S3-compatible stores that reject the SDK's default CRC32 header. */
  checksum?: "when-supported" | "when-required";
  /** How long a request may make no progress before it is abandoned and retried. */
  idleTimeoutMs?: number;
}

/**
 * The S3 client, with the product's credential cache as its only source.
 * Marking the provider `memoized` stops the SDK from wrapping it in its own
 * memoizer, which would re-fetch on every request in the last five minutes
 * and keep stale keys after S3 rejected them: the cache decides instead.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  const credentials = Object.assign(() => options.credentials(), { memoized: true });
  return new clientS3.S3Client({
    region: options.region,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    credentials,
    // For any logger but its own no-op one, the SDK builds a record of every
    // request's input and output. Ours passes the SDK's messages on at debug
    // level only, so at any other level those records were built for nothing.
    ...(options.logger.isLevelEnabled("debug") ? { logger: sdkLogger(options.logger) } : {}),
    maxAttempts: 3,
    requestChecksumCalculation: options.checksum === "when-required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED",
    // For bodies of 2 MiB or more the SDK would send "Expect: 100-continue"
    // and hold the body until the server's 100, waiting as long as
    // requestTimeout: a server or proxy that ignores the header (S3 answers
    // it) would stall every such upload until the idle timeout failed it,
    // for good. Such requests also get a connection of their own, never reused.
    expectContinueHeader: false,
    // A stalled request must fail and be retried: the idle timeout catches a
    // silent server; the total bound is generous for slow links, and without
    // throwOnRequestTimeout the SDK would only warn about it.
    requestHandler: {
      connectionTimeout: 5_000,
      socketTimeout: options.idleTimeoutMs ?? 30_000,
      requestTimeout: 600_000,
      throwOnRequestTimeout: true,
    },
  });
}
