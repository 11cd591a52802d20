import type { CredentialSource } from "./CredentialSource.js";
import type { SdkLogger } from "./sdkLogger.js";

/**
 * `--credentials chain`: the SDK's default chain (env, profiles, SSO,
 * containers, IMDS). Loaded on first use: the package holds every provider the
 * SDK has, and the default, `--credentials imds`, needs none of them.
 */
export function fromChain(logger: SdkLogger): CredentialSource {
  let provider: Promise<CredentialSource> | undefined;
  return async () => {
    provider ??= import("@aws-sdk/credential-providers").then(({ fromNodeProviderChain }) => fromNodeProviderChain({ logger }));
    return (await provider)();
  };
}
