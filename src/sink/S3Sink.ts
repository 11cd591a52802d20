import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import type { CredentialCache } from "../credentials/CredentialCache.js";
import { backoffMs, sleep } from "./backoff.js";
import { classifyS3Error, type S3ErrorInfo } from "./classifyS3Error.js";
import { UploadFailedError } from "./UploadFailedError.js";

export interface RetryPolicy {
  /** Attempts per object before giving up; Infinity in the daemon, which never drops a batch. */
  maxAttempts: number;
  /** Whether a `permanent` error (AccessDenied, NoSuchBucket) ends the attempts at once. */
  failFastOnPermanent: boolean;
  baseMs: number;
  maxMs: number;
}

export interface S3Object {
  key: string;
  body: Buffer;
  contentType: string;
  metadata: Record<string, string>;
}

export interface S3SinkOptions {
  client: S3Client;
  bucket: string;
  credentials: CredentialCache;
  logger: Logger;
  retry: RetryPolicy;
  /** Extra PutObject parameters that real buckets may demand (owner check, SSE, storage class). */
  putParameters?: PutParameters;
  /** Aborting ends the waits between attempts early (shutdown). */
  signal?: AbortSignal;
  observer?: UploadObserver;
}

/** What metrics learn from the sink. */
export interface UploadObserver {
  uploaded(bytes: number, seconds: number): void;
  failed(code: string): void;
  retried(): void;
}

export type PutParameters = Pick<PutObjectCommandInput, "ExpectedBucketOwner" | "ServerSideEncryption" | "SSEKMSKeyId" | "StorageClass">;

function describeFailure(bucket: string, key: string, info: S3ErrorInfo): string {
  const status = info.status !== undefined ? ` (HTTP ${info.status})` : "";
  switch (info.code) {
    case "AccessDenied":
      return `S3 denied PutObject on s3://${bucket}/${key}${status}: the instance role needs s3:PutObject on arn:aws:s3:::${bucket}/*`;
    case "NoSuchBucket":
      return `bucket ${bucket} does not exist${status}`;
    default:
      return `upload of s3://${bucket}/${key} failed: ${info.code}${status}`;
  }
}

/** Longest wait for credentials between resends: the cache paces its own provider attempts, and asking it is free. */
const NO_CREDENTIALS_RECHECK_MS = 2_000;

function waitBeforeResend(info: S3ErrorInfo, attempt: number, retry: RetryPolicy): number {
  // The first resend after a credential refresh goes out at once.
  if (info.class === "credentials" && attempt === 0) return 0;
  const backoff = backoffMs(attempt, retry.baseMs, retry.maxMs);
  // Uploads resume within seconds of new credentials, however long they took.
  return info.class === "no-credentials" ? Math.min(backoff, NO_CREDENTIALS_RECHECK_MS) : backoff;
}

/**
 * Stores objects in S3, one PutObject per batch with a Buffer body (the SDK
 * retries Buffers itself and sends their checksum as a header). On top of the
 * SDK's retries it adds what the SDK does not do:
 * - ExpiredToken / InvalidToken / InvalidAccessKeyId: fetch new credentials
 *   and send the same object again under the same key (research §2b.3);
 * - longer outages: capped backoff with jitter, forever in the daemon;
 * - one log line per failure streak rather than per request.
 */
export class S3Sink {
  private failingSinceMs: number | undefined;
  private failuresInStreak = 0;

  constructor(private readonly options: S3SinkOptions) {}

  async put(object: S3Object): Promise<void> {
    const { retry, bucket, logger } = this.options;
    for (let attempt = 0; ; attempt += 1) {
      const started = process.hrtime.bigint();
      try {
        await this.options.client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: object.key,
            Body: object.body,
            ContentType: object.contentType,
            Metadata: object.metadata,
            ...this.options.putParameters,
          }),
          this.options.signal ? { abortSignal: this.options.signal } : {},
        );
        this.options.observer?.uploaded(object.body.length, Number(process.hrtime.bigint() - started) / 1e9);
        this.recovered();
        return;
      } catch (error) {
        const info = classifyS3Error(error);
        this.options.observer?.failed(info.code);
        this.failed(object.key, info);
        if (info.class === "credentials") {
          // The keys were refused: whatever their expiry says, get new ones.
          await this.options.credentials.forceRefresh();
        }
        const giveUp =
          attempt + 1 >= retry.maxAttempts ||
          (info.class === "permanent" && retry.failFastOnPermanent) ||
          this.options.signal?.aborted === true;
        if (giveUp) throw new UploadFailedError(describeFailure(bucket, object.key, info), info.code);
        const wait = waitBeforeResend(info, attempt, retry);
        logger.debug({ key: object.key, code: info.code, attempt, waitMs: wait }, "upload failed; retrying");
        this.options.observer?.retried();
        await sleep(wait, this.options.signal);
      }
    }
  }

  /** Since when uploads have been failing without a success in between; undefined when healthy. */
  get failingSince(): number | undefined {
    return this.failingSinceMs;
  }

  private failed(key: string, info: S3ErrorInfo): void {
    this.failuresInStreak += 1;
    if (this.failingSinceMs !== undefined) return;
    this.failingSinceMs = Date.now();
    const { logger } = this.options;
    // Without credentials the cache has already said why, once; a line per
    // upload streak would only repeat it less clearly.
    const log =
      info.class === "no-credentials"
        ? logger.debug.bind(logger)
        : info.class === "credentials"
          ? logger.warn.bind(logger)
          : logger.error.bind(logger);
    log({ bucket: this.options.bucket, key, code: info.code, status: info.status }, describeFailure(this.options.bucket, key, info));
  }

  private recovered(): void {
    if (this.failingSinceMs === undefined) return;
    this.options.logger.info(
      { failures: this.failuresInStreak, seconds: Math.round((Date.now() - this.failingSinceMs) / 1000) },
      "uploads succeed again",
    );
    this.failingSinceMs = undefined;
    this.failuresInStreak = 0;
  }
}
