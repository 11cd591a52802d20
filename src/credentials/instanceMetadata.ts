import { setTimeout as sleep } from "node:timers/promises";
import { requirePackage } from "../loading/requirePackage.js";
import { errorField } from "../log/errorField.js";
import { ImdsStalledError } from "./ImdsStalledError.js";
import { readWithDeadline } from "./readWithDeadline.js";
import { tokenRequestStatus } from "./tokenRequestStatus.js";

const { MetadataService } = requirePackage("@aws-sdk/ec2-metadata-service") as typeof import("@aws-sdk/ec2-metadata-service");

/** Between attempts, as the SDK's client waits by default (its `backoff` of 0.2 s). */
const RETRY_DELAY_MS = 200;

export interface InstanceMetadataOptions {
  endpoint: string;
  timeoutMs?: number;
  retries?: number;
}

export interface InstanceMetadata {
  /** The text at `path`; `signal` abandons the read (a stop while waiting for IMDS). */
  get(path: string, signal?: AbortSignal): Promise<string>;
}

/**
 * Reads plain metadata (instance id, region, lifecycle notices) with the SDK's
 * IMDSv2 client. Paths are given without a leading slash: the client joins
 * `endpoint.pathname + path`, and "/" + "/latest" would request "//latest".
 * A client is built for every attempt, as `fromImds` does for credentials: once
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
    // Retried here, each attempt with a client of its own: the SDK's retry
    // would reuse a client that a refused token PUT has turned off, and
    // throw its "fetching token is disabled" instead of the refusal (HTTP
    // 403 from an endpoint turned off), which is what the operator needs.
    retries: 0,
  };
  const retries = options.retries ?? 2;
  // The client's timeout ends once the headers are in: the body has none. A
  // token PUT and a GET, each given the timeout, then the same again for
  // their bodies: an answer that stalls midway is abandoned past that.
  const deadlineMs = 4 * config.httpOptions.timeout;
  return {
    get: async (path, signal) => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return (await readWithDeadline(options.endpoint, () => new MetadataService(config).request(`latest/${path}`, {}), deadlineMs, signal)).trim();
        } catch (error) {
          if (signal?.aborted || error instanceof ImdsStalledError || attempt >= retries || !isWorthRetrying(error)) throw error;
          await sleep(RETRY_DELAY_MS, undefined, { signal });
        }
      }
    },
  };
}

/**
 * As the SDK's client: 400, 403 and 404 answers to the GET itself are final;
 * so is a token PUT answered 403, 404 or 405 (the endpoint turned off, or no
 * IMDSv2 there), which the SDK's client would not ask again either.
 */
function isWorthRetrying(error: unknown): boolean {
  const status = errorField(errorField(error, "$metadata"), "httpStatusCode");
  const tokenStatus = tokenRequestStatus(error);
  return status !== 400 && status !== 403 && status !== 404 && tokenStatus !== 403 && tokenStatus !== 404 && tokenStatus !== 405;
}

/**
 * Why a token PUT fails, when the credentials provider could not say: the
 * SDK's IMDS provider turns any refused PUT into its "v1 fallback blocked"
 * error, which keeps no status. One PUT through the SDK's metadata client,
 * whose error keeps it ("… with status code 403"). Undefined when the PUT
 * succeeds now (the failure has passed).
 */
export async function tokenFailure(endpoint: string, timeoutMs = 2_000): Promise<unknown> {
  try {
    const client = new MetadataService({ endpoint, ec2MetadataV1Disabled: true, httpOptions: { timeout: timeoutMs }, retries: 0 });
    await readWithDeadline(endpoint, () => client.fetchMetadataToken(), 2 * timeoutMs, undefined);
    return undefined;
  } catch (error) {
    return error;
  }
}
