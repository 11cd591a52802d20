import { fromInstanceMetadata } from "@smithy/credential-provider-imds";
import type { CredentialSource } from "./CredentialSource.js";
import type { SdkLogger } from "./sdkLogger.js";

export interface FromImdsOptions {
  logger: SdkLogger;
  /** Socket idle timeout per IMDS request; the SDK's 1 s default is tight for a busy host. */
  timeoutMs?: number;
  /** Retries of each metadata GET (the token PUT is not retried by the SDK). */
  maxRetries?: number;
}

/**
 * The instance-profile credentials, from the SDK's own IMDS provider. Built
 * once and kept: `@aws-sdk/credential-providers`' wrapper builds a new provider
 * per call, which throws away the provider's memory of past credentials.
 * IMDSv1 is switched off: the JS SDK would otherwise fall back to
 * unauthenticated GETs whenever the token PUT fails (SPEC: never IMDSv1).
 */
export function fromImds(options: FromImdsOptions): CredentialSource {
  return fromInstanceMetadata({
    timeout: options.timeoutMs ?? 2_000,
    maxRetries: options.maxRetries ?? 2,
    ec2MetadataV1Disabled: true,
    logger: options.logger,
  });
}
