import type { PutObjectCommandInput } from "@aws-sdk/client-s3";

/** Extra parameters that real buckets may demand of every upload (owner check, SSE, storage class). */
export type PutParameters = Pick<PutObjectCommandInput, "ExpectedBucketOwner" | "ServerSideEncryption" | "SSEKMSKeyId" | "StorageClass">;
