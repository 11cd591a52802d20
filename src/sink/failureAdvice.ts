import type { S3ErrorInfo } from "./classifyS3Error.js";
import { tlsAdvice } from "./tlsAdvice.js";

/**
 * What to do about a failure its code alone does not explain: a bucket in
 * another region (the region S3 named), something other than S3 answering
 * (no ETag), a TLS certificate Node does not trust. Undefined for the rest.
 * The upload's log line and `check`'s fix both say it.
 */
export function failureAdvice(info: S3ErrorInfo): string | undefined {
  if (info.bucketRegion !== undefined) return `the bucket is in ${info.bucketRegion}: set --region ${info.bucketRegion}`;
  if (info.code === "MissingETag") {
    return "the answer had no ETag, which S3 always sends: is something else (a proxy's or captive portal's page) answering at the endpoint?";
  }
  return tlsAdvice(info.code);
}
