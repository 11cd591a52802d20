import type { CredentialAuthority, IssuedCredential } from "../../../src/fakes/CredentialAuthority.js";

/**
 * A fixed set of credentials for tests that do not run fake-imds.
 * The credential objects are kept by reference, so a test can revoke a key or move its
 * expiration after the server has started.
 */
export function staticCredentialAuthority(creds: readonly IssuedCredential[]): CredentialAuthority {
  const byKey = new Map<string, IssuedCredential>();
  for (const cred of creds) byKey.set(cred.accessKeyId, cred);
  return { lookup: (accessKeyId) => byKey.get(accessKeyId) };
}
