import type { CredentialSource } from "./CredentialSource.js";
import type { SdkLogger } from "./sdkLogger.js";

/**
 * `--credentials chain`: the SDK's default chain (env, profiles, SSO,
 * containers, IMDS). Loaded on first use: the package holds every provider the
 * SDK has, and the default, `--credentials imds`, needs none of them.
 * - IMDSv1 is switched off, as in `fromImds`: the chain's IMDS provider would
 *   otherwise fall back to unauthenticated GETs when the token PUT fails.
 * - Every call fetches anew, through a chain of its own. The CredentialCache
 *   calls only to refresh, or because S3 rejected the keys; the chain's own
 *   memo would hand back the same keys (forever, for keys without an expiry),
 *   the SDK's cache of the shared credentials file would hide a rotated file,
 *   and a call the cache gave up on (a credential_process that hangs) would
 *   hold every later call of a shared chain: it joins the pending one.
 */
export function fromChain(logger: SdkLogger): CredentialSource {
  let providers: Promise<typeof import("@aws-sdk/credential-providers")> | undefined;
  return async () => {
    providers ??= import("@aws-sdk/credential-providers");
    const { fromNodeProviderChain } = await providers;
    return fromNodeProviderChain({ logger, ec2MetadataV1Disabled: true, ignoreCache: true })({ forceRefresh: true });
  };
}
