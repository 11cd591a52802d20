import type { IssuedCredential } from "../CredentialAuthority.js";

/** An issued credential set plus the `LastUpdated` instant IMDS reports for it. */
export interface ServedCredential extends IssuedCredential {
  readonly lastUpdated: Date;
}
