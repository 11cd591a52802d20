/** Thrown by `FakeS3.createBucket` for a name S3 would refuse. */
export class InvalidBucketNameError extends Error {
  override readonly name = "InvalidBucketNameError";

  constructor(readonly bucket: string) {
    super(`invalid S3 bucket name: ${JSON.stringify(bucket)}`);
  }
}
