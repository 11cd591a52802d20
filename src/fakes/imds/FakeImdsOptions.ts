import type { Clock } from "./Clock.js";
import type { CredentialSource } from "./CredentialSource.js";

export interface FakeImdsOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /**
   * The instance profile's role name. Default "ship-logs-role". `null`: no instance profile is
   * attached, so `meta-data/iam/` is absent and every credentials read is a 404, as on EC2.
   */
  role?: string | null;
  /** Default "i-0123456789abcdef0". */
  instanceId?: string;
  /** Default "us-east-1". */
  region?: string;
  /** Default region + "a". */
  availabilityZone?: string;
  /** Default "123456789012". */
  accountId?: string;
  /** Lifetime of each credential set. Default 21600 (six hours, as EC2). */
  credentialLifetimeSeconds?: number;
  /**
   * How long before Expiration a fresh set replaces the current one. Default 300 (EC2's "at least
   * five minutes"); never more than a third of the lifetime (see rotationDueAt).
   */
  rotateBeforeSeconds?: number;
  /** Cap on the TTL granted to a session token; the granted TTL is what gets echoed. Default 21600. */
  maxTokenTtlSeconds?: number;
  /** Vend these credentials instead of generated ones, e.g. `fromIni({ profile })`. */
  credentialSource?: CredentialSource;
  /** Default Date.now. Tokens, credentials and notices follow it; fault windows use real timers. */
  now?: Clock;
}
