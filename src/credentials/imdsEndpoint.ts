/** The environment variable every AWS SDK reads for the IMDS endpoint. */
export const IMDS_ENDPOINT_ENV = "AWS_EC2_METADATA_SERVICE_ENDPOINT";

/**
 * The SDK's IMDS credential provider has no endpoint option: it reads the
 * environment on every call. Point it, and anything else in this process that
 * asks IMDS (the SDK's region probe), at the configured endpoint.
 */
export function useImdsEndpoint(endpoint: string, env: NodeJS.ProcessEnv = process.env): void {
  env[IMDS_ENDPOINT_ENV] = endpoint;
}
