/** The body claimed `aws-chunked` framing but does not follow it. */
export class AwsChunkedDecodeError extends Error {
  override readonly name = "AwsChunkedDecodeError";
}
