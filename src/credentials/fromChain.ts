import type { CredentialSource } from "./CredentialSource.js";
import type { SdkLogger } from "./sdkLogger.js";

/**
 * `--credentials chain`: the SDK's default chain (env, profiles, SSO,
 * containers, IMDS). Loaded on first use: the package holds every provider the
 * SDK has, and the default, `--credentials imds`, needs none of them.
 * - IMDSv1 is switched off, as in `fromImds`: the chain's IMDS provider would
 *   otherwise fall back to unauthenticated GETs when the token PUT fails.
 * - Every call fetches anew. The CredentialCache calls only to refresh, or
 *   because S3 rejected the keys; the chain's own memo would hand back the
 *   same keys (forever, for keys without an expiry), and the SDK's cache of
 *   the shared credentials file would hide a rotated file.
 */
export function fromChain(logger: SdkLogger): CredentialSource {
  let provider: Promise<ReturnType<typeof import("@aws-sdk/credential-providers").fromNodeProviderChain>> | undefined;
  return async () => {
    provider ??= import("@aws-sdk/credential-providers").then(({ fromNodeProviderChain }) =>
      fromNodeProviderChain({ logger, ec2MetadataV1Disabled: true, ignoreCache: true }),
    );
    return (await provider)({ forceRefresh: true });
  };
}
