/** An object could not be stored within the retry policy; the message names bucket, key and cause. */
export class UploadFailedError extends Error {
  override readonly name = "UploadFailedError";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}
