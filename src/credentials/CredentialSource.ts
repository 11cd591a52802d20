import type { AwsCredentialIdentity } from "@aws-sdk/types";

/**
 * What the cache needs from a provider: a call that fetches credentials anew.
 * `originalExpiration` is set by the SDK's static-stability wrapper when it
 * handed back old credentials with an extended expiry instead of new ones.
 */
export type FetchedCredentials = AwsCredentialIdentity & { originalExpiration?: Date };

export type CredentialSource = () => Promise<FetchedCredentials>;
