const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d+\.\d+\.\d+\.\d+$/;

/** S3 general-purpose bucket naming rules (3–63 chars, lower case, digits, `.` and `-`, no `..`, not an IP). */
export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes("..") && !IP_ADDRESS.test(name);
}
