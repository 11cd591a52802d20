import type { Logger } from "pino";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ShipLogsConfig } from "../config/ShipLogsConfig.js";
import { CredentialCache } from "../credentials/CredentialCache.js";
import type { CredentialFailure } from "../credentials/CredentialFailure.js";
import type { CredentialSource } from "../credentials/CredentialSource.js";
import { classifyImdsError, describeChainError } from "../credentials/describeCredentialError.js";
import { fromChain } from "../credentials/fromChain.js";
import { fromImds } from "../credentials/fromImds.js";
import { useImdsEndpoint } from "../credentials/imdsEndpoint.js";
import { instanceMetadata, type InstanceMetadata } from "../credentials/instanceMetadata.js";
import { sdkLogger } from "../credentials/sdkLogger.js";
import { BatchBuffers } from "../batch/BatchBuffers.js";
import { encodeBufferBytes } from "../batch/encodeRange.js";
import { createS3Client } from "../sink/createS3Client.js";
import { KEY_LAYOUTS } from "../sink/keyLayouts.js";
import { objectKey } from "../sink/objectKey.js";
import { parseKeyTemplate } from "../sink/parseKeyTemplate.js";
import { S3Sink, type PutParameters, type RetryPolicy, type UploadObserver } from "../sink/S3Sink.js";
import { SPOOL_DIR, Spool } from "../sink/Spool.js";
import { Semaphore } from "../ship/Semaphore.js";
import { emptyStats, type ShipContext } from "../ship/ShipContext.js";
import { StateSaver } from "../ship/StateSaver.js";
import { holdStateDir } from "../source/holdStateDir.js";
import { loadState } from "../source/loadState.js";
import { resolveStateDir } from "../source/resolveStateDir.js";
import { StateStore } from "../source/StateStore.js";
import { basename, join } from "node:path";
import { resolveIdentity, type HostIdentity } from "../instance/resolveIdentity.js";
import { resolveKeyValues } from "../instance/resolveKeyValues.js";

/**
 * Uploads in flight across all files: overlaps compression with the network,
 * bounds memory. bin.cts caps libuv's pool at the same 4 (a CommonJS file
 * cannot import this one on Node 20): change both together.
 */
const UPLOAD_SLOTS = 4;

export interface Pipeline {
  ctx: ShipContext;
  sink: S3Sink;
  credentials: CredentialCache;
  metadata: InstanceMetadata;
  identity: HostIdentity;
  client: S3Client;
  abort: AbortController;
  /**
   * --state-dir's real path (resolved once it exists): no file below it is a
   * source, whatever the globs match. It holds ship-logs' own files, and a
   * spooled batch shipped as a log would put its lines in S3 twice.
   */
  stateDir: string;
}

/** The configured credential provider and how to describe its failures. */
export function credentialSource(config: ShipLogsConfig, logger: Logger): { source: CredentialSource; describe: (e: unknown) => CredentialFailure } {
  const sdk = sdkLogger(logger.child({ component: "credentials" }));
  return config.credentials === "chain"
    ? { source: fromChain(sdk), describe: (error) => ({ detail: describeChainError(error) }) }
    : { source: fromImds({ logger: sdk, endpoint: config.imdsEndpoint }), describe: (error) => classifyImdsError(error, config.imdsEndpoint) };
}

/** What real buckets may demand of every PutObject. A KMS key implies SSE-KMS. */
export function putParameters(config: ShipLogsConfig): PutParameters {
  const sse = config.sse ?? (config.sseKmsKeyId !== undefined ? "aws:kms" : undefined);
  return {
    ...(config.expectedBucketOwner !== undefined ? { ExpectedBucketOwner: config.expectedBucketOwner } : {}),
    ...(sse !== undefined ? { ServerSideEncryption: sse } : {}),
    ...(config.sseKmsKeyId !== undefined ? { SSEKMSKeyId: config.sseKmsKeyId } : {}),
    ...(config.storageClass !== undefined ? { StorageClass: config.storageClass } : {}),
  };
}

/** Builds source → batch → sink with the credentials beside it. Throws FatalError with one line. */
export async function wirePipeline(
  config: ShipLogsConfig,
  logger: Logger,
  retry: RetryPolicy,
  observer?: UploadObserver,
): Promise<Pipeline> {
  useImdsEndpoint(config.imdsEndpoint);
  const metadata = instanceMetadata({ endpoint: config.imdsEndpoint });
  const identity = await resolveIdentity({
    metadata,
    imdsEndpoint: config.imdsEndpoint,
    region: config.region,
    requireImds: config.credentials === "imds",
    logger,
  });
  // Validated when the configuration was loaded; --key-template replaces --key-layout.
  const template = parseKeyTemplate(config.keyTemplate ?? KEY_LAYOUTS[config.keyLayout]);
  const host = await resolveKeyValues({
    template,
    identity,
    regionFromImds: config.region === undefined,
    metadata,
    imdsEndpoint: config.imdsEndpoint,
  });
  const { source, describe } = credentialSource(config, logger);
  const credentials = new CredentialCache({
    source,
    logger: logger.child({ component: "credentials" }),
    describeError: describe,
    // Expiration is AWS's time. The SDK takes S3's clock from the Date of
    // every answer and signs with it. On a host that is fast, the cache judges
    // expiry by that clock too, or it would stop using keys that S3 still
    // accepts and wait for IMDS to rotate them. Never ahead of the host's
    // clock: an offset learned on a slow host and left stale by a clock step
    // would make valid keys look expired, and with no request going out
    // nothing would correct it. Keys used past their expiry on a slow host
    // are answered ExpiredToken, which forces a refresh.
    now: () => Date.now() + Math.min(0, client.config.systemClockOffset ?? 0),
  });

  await holdStateDir(config.stateDir, logger);
  const stateDir = await resolveStateDir(config, logger);
  const store = new StateStore(config.stateDir);
  const state = await loadState(store, logger, !config.once, config.watch, stateDir);

  const client = createS3Client({
    region: identity.region,
    endpoint: config.endpoint,
    credentials: () => credentials.get(),
    logger: logger.child({ component: "s3" }),
    checksum: config.checksum,
    idleTimeoutMs: config.requestTimeoutMs,
  });
  const abort = new AbortController();
  const sink = new S3Sink({
    client,
    bucket: config.bucket,
    keyPrefix: config.prefix,
    credentials,
    logger,
    retry,
    signal: abort.signal,
    putParameters: putParameters(config),
    ...(observer ? { observer } : {}),
  });
  const spool = new Spool(join(config.stateDir, SPOOL_DIR), logger, store.path);
  await spool.tidy();
  const ctx: ShipContext = {
    state,
    saver: new StateSaver(store, state),
    sink,
    spool,
    slots: new Semaphore(UPLOAD_SLOTS),
    buffers: new BatchBuffers(encodeBufferBytes(config.compression, config.batchMaxBytes), UPLOAD_SLOTS),
    logger,
    batchMaxBytes: config.batchMaxBytes,
    compression: config.compression,
    compressionLevel: config.compressionLevel,
    keyFor: (checkpoint, start, end, createdAt) =>
      objectKey(
        {
          prefix: config.prefix,
          host,
          createdAt,
          fileName: basename(checkpoint.path),
          sourceId: checkpoint.sourceId,
          start,
          end,
          compression: config.compression,
        },
        template,
      ),
    stats: emptyStats(),
  };
  return { ctx, sink, credentials, metadata, identity, client, abort, stateDir };
}
