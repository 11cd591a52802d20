import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { CredentialSource } from "./CredentialSource.js";
import type { SdkLogger } from "./sdkLogger.js";

/** `--credentials chain`: the SDK's default chain (env, profiles, SSO, containers, IMDS). */
export function fromChain(logger: SdkLogger): CredentialSource {
  const provider = fromNodeProviderChain({ logger });
  return () => provider();
}
