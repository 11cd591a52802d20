import type { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import type { CredentialCache } from "../credentials/CredentialCache.js";
import { backoffMs } from "./backoff.js";
import { sleep } from "../time/sleep.js";
import { cutParts } from "./cutParts.js";
import { MultipartUpload, PART_BYTES, START_OVER, type MultipartUploadContext } from "./MultipartUpload.js";
import type { PutParameters } from "./PutParameters.js";
import { S3RequestRetrier, type RequestObserver, type RetryPolicy } from "./S3RequestRetrier.js";
import { UploadFailedError } from "./UploadFailedError.js";
import { clientS3 } from "./clientS3.js";

import { MissingETagError } from "./MissingETagError.js";

const { PutObjectCommand } = clientS3;

export type { PutParameters } from "./PutParameters.js";
export type { RetryPolicy } from "./S3RequestRetrier.js";

export interface S3Object {
  key: string;
  body: Buffer;
  contentType: string;
  metadata: Record<string, string>;
}

/** An object too large to hold: its body is produced on demand, once per attempt. */
export interface S3StreamObject {
  key: string;
  body: () => AsyncIterable<Buffer>;
  contentType: string;
  metadata: Record<string, string>;
}

export interface S3SinkOptions {
  client: S3Client;
  bucket: string;
  /** `--prefix`, for the advice on AccessDenied. */
  keyPrefix?: string;
  credentials: CredentialCache;
  logger: Logger;
  retry: RetryPolicy;
  /** Extra parameters that real buckets may demand (owner check, SSE, storage class). */
  putParameters?: PutParameters;
  /** Aborting ends the waits between attempts early (shutdown). */
  signal?: AbortSignal;
  observer?: UploadObserver;
  /** Bytes per part of a streamed upload; S3 needs at least 5 MiB. */
  partBytes?: number;
}

/** What metrics learn from the sink. */
export interface UploadObserver extends RequestObserver {
  uploaded(bytes: number, seconds: number): void;
}

/**
 * Stores objects in S3 under keys decided before the upload. A batch goes up
 * as one PutObject with a Buffer body (the SDK retries Buffers itself and
 * sends their checksum as a header); a stream (a line longer than a batch)
 * goes up in parts of a multipart upload, so that no more than a part is held.
 * Every request runs under the retry policy of `S3RequestRetrier`.
 */
export class S3Sink {
  private readonly requests: S3RequestRetrier;
  private readonly multipart: MultipartUploadContext;

  constructor(private readonly options: S3SinkOptions) {
    const { bucket, credentials, logger, retry, signal, observer } = options;
    this.requests = new S3RequestRetrier({
      bucket,
      ...(options.keyPrefix !== undefined ? { keyPrefix: options.keyPrefix } : {}),
      credentials,
      logger,
      retry,
      ...(signal ? { signal } : {}),
      ...(observer ? { observer } : {}),
    });
    this.multipart = { client: options.client, bucket, requests: this.requests, putParameters: options.putParameters ?? {}, logger };
  }

  /** Whether the stop has cancelled the uploads: a failure now is the stop's, not S3's. */
  get cancelled(): boolean {
    return this.options.signal?.aborted === true;
  }

  async put(object: S3Object): Promise<void> {
    let started = process.hrtime.bigint();
    await this.requests.send(object.key, async (requestOptions) => {
      started = process.hrtime.bigint();
      const answer = await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: object.key,
          Body: object.body,
          ContentType: object.contentType,
          Metadata: object.metadata,
          ...this.options.putParameters,
        }),
        requestOptions,
      );
      return MissingETagError.check(answer);
    });
    this.options.observer?.uploaded(object.body.length, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * Stores a stream and resolves with the bytes stored. One that fits in a
   * part goes up as a PutObject. An upload that S3 no longer knows (aborted
   * by a lifecycle rule during a long outage, or completed by a request whose
   * answer was lost), or whose parts it does not hold as recorded, is sent
   * again from the start, under the same key.
   */
  async putStream(object: S3StreamObject): Promise<number> {
    const { retry, signal, logger } = this.options;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.streamOnce(object);
      } catch (error) {
        const startOver = error instanceof UploadFailedError && START_OVER.has(error.code);
        if (!startOver || attempt >= retry.maxAttempts || signal?.aborted === true) throw error;
        logger.warn({ key: object.key, attempt, code: error.code }, "S3 no longer knows the multipart upload, or not all its parts; uploading the object again");
        await sleep(backoffMs(attempt, retry.baseMs, retry.maxMs), signal);
      }
    }
  }

  /** Since when (epoch ms) uploads have been failing without a success in between; undefined when healthy. */
  get failingSince(): number | undefined {
    return this.requests.failingSince;
  }

  /** How long uploads have been failing without a success in between; undefined when healthy. */
  get failingForMs(): number | undefined {
    return this.requests.failingForMs;
  }

  private async streamOnce(object: S3StreamObject): Promise<number> {
    const started = process.hrtime.bigint();
    let upload: MultipartUpload | undefined;
    let bytes = 0;
    try {
      for await (const { data, last } of cutParts(object.body(), this.options.partBytes ?? PART_BYTES)) {
        bytes += data.length;
        if (last && upload === undefined) {
          await this.put({ key: object.key, body: data, contentType: object.contentType, metadata: object.metadata });
          return bytes;
        }
        upload ??= await MultipartUpload.create(this.multipart, object);
        await upload.uploadPart(data);
      }
      await upload?.complete();
    } catch (error) {
      await upload?.abort();
      throw error;
    }
    this.options.observer?.uploaded(bytes, Number(process.hrtime.bigint() - started) / 1e9);
    return bytes;
  }
}
