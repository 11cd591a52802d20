import { z } from "zod";

/**
 * An S3 bucket name under the general-purpose naming rules. Only the rules that
 * hold for every name a request can address are checked; the reserved prefixes
 * and suffixes apply to creating buckets, and an access point alias
 * (`…-s3alias`) or a directory bucket (`…--x-s3`) is a valid upload target.
 */
export function bucketNameValue() {
  const rule = (detail: string) => ({ error: `expected an S3 bucket name ${detail}` });
  return z
    .string(rule("(3 to 63 lowercase letters, digits, dots and hyphens)"))
    .min(3, rule("of at least 3 characters"))
    .max(63, rule("of at most 63 characters"))
    .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, rule("(lowercase letters, digits, dots and hyphens; starting and ending with a letter or digit)"))
    .refine((name) => !name.includes(".."), rule("without two adjacent dots"))
    .refine((name) => !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(name), rule("that is not formatted as an IP address"));
}
