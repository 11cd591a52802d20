import { S3Error } from "./S3Error.js";

/**
 * The S3 errors this server can answer, with the status codes and messages real S3 uses
 * (S3 API Reference, "Error responses – List of error codes"), so that SDKs classify them
 * exactly as they would in production.
 */
export const s3Errors = {
  accessDenied: (message = "Access Denied", details: Record<string, string> = {}) =>
    new S3Error(403, "AccessDenied", message, details),
  authorizationHeaderMalformed: (reason: string, details: Record<string, string> = {}) =>
    new S3Error(400, "AuthorizationHeaderMalformed", `The authorization header is malformed; ${reason}`, details),
  badDigest: (message: string) => new S3Error(400, "BadDigest", message),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error(
      409,
      "BucketAlreadyOwnedByYou",
      "Your previous request to create the named bucket succeeded and you already own it.",
      { BucketName: bucket },
    ),
  entityTooLarge: (maxBytes: number) =>
    new S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", {
      MaxSizeAllowed: String(maxBytes),
    }),
  entityTooSmall: (proposedSize: number, minSizeAllowed: number, partNumber: number, etag: string) =>
    new S3Error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", {
      ProposedSize: String(proposedSize),
      MinSizeAllowed: String(minSizeAllowed),
      PartNumber: String(partNumber),
      ETag: etag,
    }),
  expiredToken: () => new S3Error(400, "ExpiredToken", "The provided token has expired."),
  incompleteBody: () =>
    new S3Error(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"),
  internalError: () => new S3Error(500, "InternalError", "We encountered an internal error. Please try again."),
  invalidAccessKeyId: () =>
    new S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
  invalidArgument: (message: string, details: Record<string, string> = {}) =>
    new S3Error(400, "InvalidArgument", message, details),
  invalidBucketName: (bucket: string) =>
    new S3Error(400, "InvalidBucketName", "The specified bucket is not valid.", { BucketName: bucket }),
  invalidDigest: () => new S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid."),
  invalidPart: (partNumber: number, etag: string) =>
    new S3Error(
      400,
      "InvalidPart",
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      { PartNumber: String(partNumber), ETag: etag },
    ),
  invalidPartOrder: () =>
    new S3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number."),
  invalidRequest: (message: string) => new S3Error(400, "InvalidRequest", message),
  invalidToken: () => new S3Error(400, "InvalidToken", "The provided token is malformed or otherwise invalid."),
  invalidUri: () => new S3Error(400, "InvalidURI", "Couldn't parse the specified URI."),
  malformedXml: () =>
    new S3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"),
  methodNotAllowed: (method: string) =>
    new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", {
      Method: method,
    }),
  keyTooLong: (bytes: number) =>
    new S3Error(400, "KeyTooLongError", "Your key is too long", { Size: String(bytes), MaxSizeAllowed: "1024" }),
  missingContentLength: () => new S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header."),
  noSuchBucket: (bucket: string) =>
    new S3Error(404, "NoSuchBucket", "The specified bucket does not exist", { BucketName: bucket }),
  noSuchKey: (key: string) => new S3Error(404, "NoSuchKey", "The specified key does not exist.", { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new S3Error(
      404,
      "NoSuchUpload",
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
      { UploadId: uploadId },
    ),
  notImplemented: (what: string) =>
    new S3Error(501, "NotImplemented", `A header or query you provided implies functionality that is not implemented: ${what}`),
  preconditionFailed: (condition: string) =>
    new S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", {
      Condition: condition,
    }),
  requestTimeTooSkewed: (requestTime: string, serverTime: string, maxSkewMs: number) =>
    new S3Error(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", {
      RequestTime: requestTime,
      ServerTime: serverTime,
      MaxAllowedSkewMilliseconds: String(maxSkewMs),
    }),
  signatureDoesNotMatch: () =>
    new S3Error(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    ),
  xAmzContentSha256Mismatch: (clientSha256: string, serverSha256: string) =>
    new S3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", {
      ClientComputedContentSHA256: clientSha256,
      S3ComputedContentSHA256: serverSha256,
    }),
} as const;
