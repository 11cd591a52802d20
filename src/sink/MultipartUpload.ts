import type { CompletedPart, S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import { classifyS3Error } from "./classifyS3Error.js";
import type { PutParameters } from "./PutParameters.js";
import type { S3RequestRetrier } from "./S3RequestRetrier.js";
import { clientS3 } from "./clientS3.js";
import { MissingETagError } from "./MissingETagError.js";

const { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand } = clientS3;

/**
 * Bytes per part (S3 accepts 5 MiB to 5 GiB for all but the last). 8 MiB, the
 * default batch size: a streamed upload holds what a default batch holds, and
 * S3's 10 000 parts allow objects of 78 GiB.
 */
export const PART_BYTES = 8 * 1024 * 1024;

/** S3's answer once an upload id is no more: aborted (by a lifecycle rule) or completed already. */
const GONE: ReadonlySet<string> = new Set(["NoSuchUpload"]);

/**
 * Answers after which the upload can only be started over: it is gone, or
 * S3 does not hold a part as its ETag was recorded (an endpoint that answered
 * a part without one). Sending the same completion again would be refused
 * the same way, for ever.
 */
export const START_OVER: ReadonlySet<string> = new Set([...GONE, "InvalidPart"]);

/** A shutdown must not wait long for a courtesy. */
const ABORT_TIMEOUT_MS = 10_000;

export interface MultipartUploadContext {
  client: S3Client;
  bucket: string;
  requests: S3RequestRetrier;
  putParameters: PutParameters;
  logger: Logger;
}

export interface MultipartObject {
  key: string;
  contentType: string;
  metadata: Record<string, string>;
}

/**
 * One S3 multipart upload: created with everything a PutObject of the object
 * would carry, parts sent as Buffers (so the SDK can retry each one and send
 * its checksum as a header), each request under the sink's retry policy.
 */
export class MultipartUpload {
  private readonly parts: CompletedPart[] = [];

  private constructor(
    private readonly ctx: MultipartUploadContext,
    readonly key: string,
    readonly uploadId: string,
  ) {}

  static async create(ctx: MultipartUploadContext, object: MultipartObject): Promise<MultipartUpload> {
    // With the SDK's default checksums every part carries a CRC32, and S3
    // refuses parts whose checksum the upload did not declare.
    const checksummed = (await ctx.client.config.requestChecksumCalculation()) === "WHEN_SUPPORTED";
    const created = await ctx.requests.send(object.key, (options) =>
      ctx.client.send(
        new CreateMultipartUploadCommand({
          Bucket: ctx.bucket,
          Key: object.key,
          ContentType: object.contentType,
          Metadata: object.metadata,
          ...(checksummed ? { ChecksumAlgorithm: "CRC32" } : {}),
          ...ctx.putParameters,
        }),
        options,
      ),
    );
    if (created.UploadId === undefined) throw new Error(`CreateMultipartUpload of ${object.key} answered without an UploadId`);
    return new MultipartUpload(ctx, object.key, created.UploadId);
  }

  /** Sends the next part; `NoSuchUpload` comes back at once (the upload is gone: start over). */
  async uploadPart(body: Buffer): Promise<void> {
    const { ctx } = this;
    const partNumber = this.parts.length + 1;
    const sent = await ctx.requests.send(
      this.key,
      async (options) => MissingETagError.check(await ctx.client.send(new UploadPartCommand({ ...this.target(), PartNumber: partNumber, Body: body }), options)),
      GONE,
    );
    this.parts.push({
      PartNumber: partNumber,
      ETag: sent.ETag,
      ...(sent.ChecksumCRC32 === undefined ? {} : { ChecksumCRC32: sent.ChecksumCRC32 }),
    });
  }

  /** Joins the parts into the object; the answers of START_OVER come back at once. */
  async complete(): Promise<void> {
    const { ctx } = this;
    await ctx.requests.send(
      this.key,
      (options) =>
        ctx.client.send(new CompleteMultipartUploadCommand({ ...this.target(), MultipartUpload: { Parts: this.parts } }), options),
      START_OVER,
    );
  }

  /**
   * Frees the parts stored so far; best effort, never throws. What it cannot
   * remove (S3 unreachable, or the role lacks s3:AbortMultipartUpload) a
   * lifecycle rule with AbortIncompleteMultipartUpload does (docs/iam).
   */
  async abort(): Promise<void> {
    const { ctx } = this;
    try {
      await ctx.client.send(new AbortMultipartUploadCommand(this.target()), { abortSignal: AbortSignal.timeout(ABORT_TIMEOUT_MS) });
    } catch (error) {
      const { code } = classifyS3Error(error);
      if (code === "NoSuchUpload") return;
      ctx.logger.warn(
        { key: this.key, code },
        "could not abort an unfinished multipart upload; a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes its parts",
      );
    }
  }

  private target(): { Bucket: string; Key: string; UploadId: string; ExpectedBucketOwner?: string } {
    const owner = this.ctx.putParameters.ExpectedBucketOwner;
    return { Bucket: this.ctx.bucket, Key: this.key, UploadId: this.uploadId, ...(owner === undefined ? {} : { ExpectedBucketOwner: owner }) };
  }
}
