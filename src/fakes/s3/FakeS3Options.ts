import type { CredentialAuthority } from "../CredentialAuthority.js";

export interface FakeS3Options {
  /** Who issued the access keys this server accepts (fake-imds, or a fixed set in tests). */
  readonly authority: CredentialAuthority;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  /** Buckets that exist from the start; PUT to any other is `NoSuchBucket` until created. */
  readonly buckets?: readonly string[];
  /** When set, a signature scoped to another region is `AuthorizationHeaderMalformed`. */
  readonly region?: string;
  /** The server clock in epoch ms, for skew and expiry checks and the `Date` header. Default `Date.now`. */
  readonly now?: () => number;
  /** Largest accepted |x-amz-date − now|. Default 15 minutes, as S3. */
  readonly maxSkewMs?: number;
  /** Cap on the total rate request bodies are read, across all connections (emulates instance bandwidth). */
  readonly maxBytesPerSecond?: number;
  /** Largest accepted object. Default 5 GiB (S3's single-PUT limit) or the largest Buffer, whichever is smaller. */
  readonly maxObjectBytes?: number;
  /** Smallest part CompleteMultipartUpload accepts for all but the last part. Default 5 MiB, as S3. */
  readonly minPartBytes?: number;
}
