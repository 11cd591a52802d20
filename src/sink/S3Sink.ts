import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import type { CredentialCache } from "../credentials/CredentialCache.js";
import type { PutParameters } from "./PutParameters.js";
import { S3RequestRetrier, type RequestObserver, type RetryPolicy } from "./S3RequestRetrier.js";

export type { PutParameters } from "./PutParameters.js";
export type { RetryPolicy } from "./S3RequestRetrier.js";

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
  /** Extra parameters that real buckets may demand (owner check, SSE, storage class). */
  putParameters?: PutParameters;
  /** Aborting ends the waits between attempts early (shutdown). */
  signal?: AbortSignal;
  observer?: UploadObserver;
}

/** What metrics learn from the sink. */
export interface UploadObserver extends RequestObserver {
  uploaded(bytes: number, seconds: number): void;
}

/**
 * Stores objects in S3 under keys decided before the upload, one PutObject
 * per batch with a Buffer body (the SDK retries Buffers itself and sends their
 * checksum as a header), under the retry policy of `S3RequestRetrier`.
 */
export class S3Sink {
  private readonly requests: S3RequestRetrier;

  constructor(private readonly options: S3SinkOptions) {
    const { bucket, credentials, logger, retry, signal, observer } = options;
    this.requests = new S3RequestRetrier({
      bucket,
      credentials,
      logger,
      retry,
      ...(signal ? { signal } : {}),
      ...(observer ? { observer } : {}),
    });
  }

  async put(object: S3Object): Promise<void> {
    let started = process.hrtime.bigint();
    await this.requests.send(object.key, (requestOptions) => {
      started = process.hrtime.bigint();
      return this.options.client.send(
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
    });
    this.options.observer?.uploaded(object.body.length, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Since when uploads have been failing without a success in between; undefined when healthy. */
  get failingSince(): number | undefined {
    return this.requests.failingSince;
  }
}
