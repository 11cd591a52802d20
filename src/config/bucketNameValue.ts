import { checkedText } from "./optionValues.js";
import type { ValueSchema } from "./ValueSchema.js";

/** How each rule completes "expected an S3 bucket name ...", checked in this order; the first broken one is reported. */
const RULES: readonly (readonly [detail: string, holds: (name: string) => boolean])[] = [
  ["of at least 3 characters", (name) => name.length >= 3],
  ["of at most 63 characters", (name) => name.length <= 63],
  [
    "(lowercase letters, digits, dots and hyphens; starting and ending with a letter or digit)",
    (name) => /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name),
  ],
  ["without two adjacent dots", (name) => !name.includes("..")],
  ["that is not formatted as an IP address", (name) => !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(name)],
];

/**
 * An S3 bucket name under the general-purpose naming rules. Only the rules that
 * hold for every name a request can address are checked; the reserved prefixes
 * and suffixes apply to creating buckets, and an access point alias
 * (`…-s3alias`) or a directory bucket (`…--x-s3`) is a valid upload target.
 */
export function bucketNameValue(): ValueSchema<string> {
  return checkedText("expected an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)", (name) => {
    const broken = RULES.find(([, holds]) => !holds(name));
    return broken === undefined ? undefined : `expected an S3 bucket name ${broken[0]}`;
  });
}
