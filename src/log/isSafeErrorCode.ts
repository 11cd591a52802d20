/**
 * What an error code looks like: S3's (`ExpiredToken`, `KMS.DisabledException`),
 * EC2's (`AssumeRoleUnauthorizedAccess`), Node's (`ECONNRESET`,
 * `ERR_STREAM_PREMATURE_CLOSE`). Codes come from the far end, which a proxy,
 * an S3-compatible server or a broken metadata service may fill with anything.
 */
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9._]{0,63}$/;

/** An access key id has the shape of a code; it is a credential all the same. */
const ACCESS_KEY_ID = /^A[KS]IA[A-Z0-9]{12,}$/;

/**
 * Whether a code received from elsewhere may be logged, printed or used as a
 * metrics label: anything else (an echo of the request, a key) is not shown.
 */
export function isSafeErrorCode(text: string): boolean {
  return ERROR_CODE.test(text) && !ACCESS_KEY_ID.test(text);
}
