/**
 * A success answer to a PutObject or an UploadPart without an ETag. S3, and
 * every S3-compatible store, sends one: something else answered (a captive
 * portal, a proxy's page on a plain-HTTP `--endpoint`), and nothing may be
 * stored. Taken as stored, the checkpoint would move past lines no bucket
 * holds; as a failure, it is sent again until a store acknowledges it.
 */
export class MissingETagError extends Error {
  override readonly name = "MissingETag";

  constructor() {
    super("the answer has no ETag: it did not come from S3");
  }

  /** The answer, when it has an ETag. */
  static check<T extends { ETag?: string | undefined }>(answer: T): T {
    if (!answer.ETag) throw new MissingETagError();
    return answer;
  }
}
