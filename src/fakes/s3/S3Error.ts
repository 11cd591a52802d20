/**
 * An S3 error answer: HTTP status, S3 error `Code`, human message, and the extra elements
 * S3 puts in its `<Error>` document (e.g. `BucketName`, `ServerTime`). Thrown anywhere in
 * request handling and rendered once, so every rejection looks like real S3.
 *
 * Messages and details must never contain a secret key or session token.
 */
export class S3Error extends Error {
  override readonly name = "S3Error";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
