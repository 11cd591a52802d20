/**
 * The seam between a fake credential issuer (fake-imds) and a fake verifier (the test S3 server):
 * the verifier asks who issued an access key, and decides on expiry and revocation itself.
 */
export interface IssuedCredential { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date; revoked: boolean; }
export interface CredentialAuthority { lookup(accessKeyId: string): IssuedCredential | undefined; }
