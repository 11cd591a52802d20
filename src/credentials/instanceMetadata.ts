import { requirePackage } from "../loading/requirePackage.js";

const { MetadataService } = requirePackage("@aws-sdk/ec2-metadata-service") as typeof import("@aws-sdk/ec2-metadata-service");

export interface InstanceMetadataOptions {
  endpoint: string;
  timeoutMs?: number;
  retries?: number;
}

export interface InstanceMetadata {
  get(path: string): Promise<string>;
}

/**
 * Reads plain metadata (instance id, region, lifecycle notices) with the SDK's
 * IMDSv2 client. Paths are given without a leading slash: the client joins
 * `endpoint.pathname + path`, and "/" + "/latest" would request "//latest".
 * A client is built for every read, as `fromImds` does for credentials: once
 * a token PUT is answered 403, 404 or 405 (the endpoint disabled for a while),
 * the SDK's client stops fetching tokens for good, and with IMDSv1 off every
 * later read fails. A long-lived one would keep the daemon waiting for IMDS
 * after the endpoint is re-enabled, and stop lifecycle polling for good.
 */
export function instanceMetadata(options: InstanceMetadataOptions): InstanceMetadata {
  const config = {
    endpoint: options.endpoint,
    ec2MetadataV1Disabled: true,
    // The client's default timeout is 0, i.e. none: a stalled IMDS would hang the start.
    httpOptions: { timeout: options.timeoutMs ?? 2_000 },
    retries: options.retries ?? 2,
    backoff: 0.2,
  };
  return {
    get: async (path) => (await new MetadataService(config).request(`latest/${path}`, {})).trim(),
  };
}
