/**
 * What a credential source yields. Shaped so that an AWS SDK credential provider
 * (`fromIni()`, `fromNodeProviderChain()`) can be passed as a source unchanged.
 */
export interface SourcedCredential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

/** Vends the caller's real credentials instead of generated ones (laptop runs against a real bucket). */
export type CredentialSource = () => Promise<SourcedCredential>;
