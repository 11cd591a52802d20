import type { S3Client } from "@aws-sdk/client-s3";
import { accessDeniedAdvice } from "../sink/accessDeniedAdvice.js";
import { classifyS3Error, type S3ErrorInfo } from "../sink/classifyS3Error.js";
import type { PutParameters } from "../sink/S3Sink.js";
import type { CheckResult } from "./CheckResult.js";
import { clientS3 } from "../sink/clientS3.js";
import { failureAdvice } from "../sink/failureAdvice.js";
import { MissingETagError } from "../sink/MissingETagError.js";

const { PutObjectCommand } = clientS3;

export interface ProbeTarget {
  client: S3Client;
  bucket: string;
  key: string;
  /** The key prefix the role's policy must cover. */
  prefix: string;
  putParameters: PutParameters;
}

function fixFor(info: S3ErrorInfo, bucket: string, prefix: string): string {
  switch (info.code) {
    case "AccessDenied":
      if (info.denial?.action !== undefined || info.denial?.policy !== undefined) return accessDeniedAdvice(bucket, `${prefix}*`, info.denial);
      return `allow s3:PutObject on arn:aws:s3:::${bucket}/${prefix}* in the instance role's policy (docs/iam/ship-logs-policy.json); with --sse aws:kms also kms:GenerateDataKey and kms:Decrypt (multipart uploads of long lines need it; this probe does not)`;
    case "NoSuchBucket":
      return `create the bucket or correct --bucket ${bucket}`;
    case "InvalidAccessKeyId":
    case "ExpiredToken":
    case "InvalidToken":
    case "SignatureDoesNotMatch":
      return "the credentials were refused: check the instance profile and the host clock";
    case "KMS.AccessDeniedException":
      return "the KMS key refused the role: its key policy must allow kms:GenerateDataKey and kms:Decrypt to the instance role";
    case "KMS.NotFoundException":
    case "KMS.DisabledException":
      return "the KMS key of --sse-kms-key-id (or the bucket's default) does not exist or is disabled";
    default:
      return failureAdvice(info) ?? "see the error code in the S3 documentation; check --endpoint and --region";
  }
}

/** The probe's line, and the S3 error class of its failure (undefined when it succeeded). */
export interface UploadCheck {
  result: CheckResult;
  failure: S3ErrorInfo | undefined;
}

/** The one permission the role needs, exercised: PutObject of a tiny probe object under the prefix. */
export async function checkUpload(target: ProbeTarget): Promise<UploadCheck> {
  const name = "upload";
  try {
    const answer = await target.client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        Body: Buffer.from(`ship-logs check ${new Date().toISOString()}\n`),
        ContentType: "text/plain; charset=utf-8",
        ...target.putParameters,
      }),
    );
    MissingETagError.check(answer);
    return { result: { name, status: "ok", detail: `PutObject s3://${target.bucket}/${target.key}` }, failure: undefined };
  } catch (error) {
    const info = classifyS3Error(error);
    return {
      result: {
        name,
        status: "fail",
        detail: `PutObject s3://${target.bucket}/${target.key}: ${info.code}${info.status ? ` (HTTP ${info.status})` : ""}`,
        fix: fixFor(info, target.bucket, target.prefix),
      },
      failure: info,
    };
  }
}
