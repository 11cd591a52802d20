import { requirePackage } from "../loading/requirePackage.js";
import { errorField } from "../log/errorField.js";
import type { CredentialSource } from "./CredentialSource.js";
import { tokenFailure } from "./instanceMetadata.js";
import { isInvalidDocument } from "./isInvalidDocument.js";
import { readWithDeadline } from "./readWithDeadline.js";
import { RoleCredentialsRefusedError } from "./RoleCredentialsRefusedError.js";
import { roleCredentialsRefusal } from "./roleCredentialsRefusal.js";
import type { SdkLogger } from "./sdkLogger.js";

const { fromInstanceMetadata } = requirePackage("@smithy/credential-provider-imds") as typeof import("@smithy/credential-provider-imds");

export interface FromImdsOptions {
  logger: SdkLogger;
  /** The metadata endpoint, to ask why a token PUT failed (the provider itself reads it from the environment). */
  endpoint: string;
  /** Socket idle timeout per IMDS request; the SDK's 1 s default is tight for a busy host. */
  timeoutMs?: number;
  /** Retries of each metadata GET (the token PUT is not retried by the SDK). */
  maxRetries?: number;
}

/**
 * The instance-profile credentials, from the SDK's own IMDS provider, built
 * afresh for every fetch. A long-lived provider object keeps two memories that
 * hurt here:
 * - once a token PUT is answered 403, 404 or 405 (e.g. the metadata endpoint
 *   was disabled for a while), it stops fetching tokens for good, and with
 *   IMDSv1 switched off every later call fails: the shipper would never
 *   recover without a restart;
 * - its static stability hands back the previous keys with a made-up expiry
 *   instead of the error, so the operator would never learn why IMDS failed.
 * The CredentialCache keeps the last good credentials itself, with their real
 * expiry, which is all static stability was good for.
 * IMDSv1 is switched off: the JS SDK would otherwise fall back to
 * unauthenticated GETs whenever the token PUT fails (SPEC: never IMDSv1).
 */
export function fromImds(options: FromImdsOptions): CredentialSource {
  const init = {
    timeout: options.timeoutMs ?? 2_000,
    maxRetries: options.maxRetries ?? 2,
    ec2MetadataV1Disabled: true,
    logger: options.logger,
  };
  // The token PUT, then the role and its document, each GET tried up to
  // maxRetries + 1 times, each try bounded by the timeout only until headers.
  const deadlineMs = (1 + 2 * (init.maxRetries + 1)) * init.timeout + init.timeout;
  return async () => {
    try {
      // Under a deadline like every IMDS read: the provider's requests can be
      // cut mid-body by another read's deadline (they go to the same Host),
      // after which the SDK's provider never settles. Unsettled, every such
      // call would count against the cache's cap of hung calls for good.
      return await readWithDeadline(options.endpoint, () => fromInstanceMetadata(init)(), deadlineMs, undefined);
    } catch (error) {
      if (isInvalidDocument(error)) {
        // EC2's "cannot assume the role" document: its code says why.
        const refusal = await roleCredentialsRefusal(options.endpoint, init.timeout);
        throw refusal === undefined ? error : new RoleCredentialsRefusedError(refusal);
      }
      if (errorField(error, "name") !== "InstanceMetadataV1FallbackError") throw error;
      // A refused token PUT: the operator needs its status ("403: metadata
      // endpoint turned off?"), which this error does not keep.
      throw (await tokenFailure(options.endpoint, init.timeout)) ?? error;
    }
  };
}
