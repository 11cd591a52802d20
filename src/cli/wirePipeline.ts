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
import { isFullDisk } from "../ship/stateSaveFailure.js";
import { lockStateDir, StateDirBusyError } from "../source/lockStateDir.js";
import { describeForeignOwner, foreignOwner } from "../source/stateDirOwner.js";
import { describeDirError } from "../source/describeDirError.js";
import { remapDevices } from "../source/remapDevices.js";
import { markLegacyRotations } from "../source/markLegacyRotations.js";
import { StateCorruptError, StateTooNewError, StateStore, type LoadedState, type ShipState } from "../source/StateStore.js";
import { mkdir, realpath } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { directoryMatcher, globMatcher, isWithin } from "../source/expandGlobs.js";
import type { FileCheckpoint } from "../source/FileCheckpoint.js";
import { OptionValueError } from "../config/OptionValueError.js";
import { FatalError } from "./FatalError.js";
import { resolveIdentity, type HostIdentity } from "./resolveIdentity.js";
import { resolveKeyValues } from "./resolveKeyValues.js";

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

/**
 * A state dir that is a file, that this user may not write, or that is on a
 * read-only file system (ProtectSystem=strict without StateDirectory= or
 * ReadWritePaths=) is the configuration's to fix: exit 2, which systemd does
 * not restart into the same failure. Anything else may pass: exit 1 (a full
 * disk, an I/O error, and ENOENT, which is also what a disk not mounted yet
 * at boot gives).
 */
async function stateDirError(dir: string, error: unknown, doing: string): Promise<OptionValueError | FatalError> {
  const code = (error as NodeJS.ErrnoException).code;
  const problem =
    code === "EEXIST" || code === "ENOTDIR"
      ? "not a directory"
      : code === "EACCES" || code === "EPERM"
        ? `permission denied (${code}); the user ship-logs runs as must be able to write it`
        : code === "EROFS"
          ? "on a read-only file system (EROFS); with ProtectSystem=strict, give it StateDirectory= or ReadWritePaths="
          : undefined;
  if (problem !== undefined) return new OptionValueError("stateDir", dir, problem);
  // Still exit 1 (restarted): a disk mounted late at boot under a read-only
  // root looks the same, but the line says what else it may be.
  return new FatalError(`${doing} state directory ${dir}: ${await describeDirError(dir, error)}`);
}

/** Before the state is read: another shipper on it is exit 1, not duplicate objects. */
async function holdStateDir(dir: string, logger: Logger): Promise<void> {
  let unlocked: string | undefined;
  try {
    unlocked = await lockStateDir(dir, (fields, message) => logger.warn(fields, message));
  } catch (error) {
    if (error instanceof StateDirBusyError) throw new FatalError(`cannot use state directory ${dir}: ${error.message}`);
    throw await stateDirError(dir, error, "cannot use");
  }
  if (unlocked !== undefined) logger.warn({ stateDir: dir, reason: unlocked }, "cannot lock the state directory; make sure no other ship-logs uses it");
  await refuseForeignOwner(dir);
}

/**
 * A state dir another user owns is the configuration's to fix, exit 2 like
 * one this user may not write: before anything in it is read, chmodded or
 * written (its owner could have planted links where the temp files go).
 */
async function refuseForeignOwner(dir: string): Promise<void> {
  let foreign;
  try {
    // Where no lock was taken (not Linux), not made yet.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    foreign = await foreignOwner(dir);
  } catch (error) {
    throw await stateDirError(dir, error, "cannot use");
  }
  if (foreign !== undefined) throw new OptionValueError("stateDir", dir, describeForeignOwner(foreign, dir));
}

/**
 * The state, read as this release reads it (devices renumbered at boot, an
 * earlier release's checkpoints, ship-logs' own files let go), and saved back
 * at once: no upload may start before its key is saved,
 * so a state dir that cannot be written (read-only, full, another owner) ends
 * the start with one line here rather than with a stack trace at the first save.
 * A full one does not end the daemon's start (`fullDiskRunsOn`): its batches
 * in the spool need no save to go out, and sending them frees space. The
 * daemon saves again once it has found its files, and says so if that fails
 * too (saveAtStart).
 */
async function loadState(store: StateStore, logger: Logger, fullDiskRunsOn: boolean, patterns: readonly string[], stateDir: string): Promise<ShipState> {
  const { rotationsUnmarked, ...state } = await readState(store, logger);
  const moves = await remapDevices(state.files);
  if (moves.size > 0) {
    logger.warn({ devices: Object.fromEntries(moves) }, "device numbers changed since the last run (disks renumbered at boot): checkpoints follow their files");
  }
  // With the devices they are on now: a checkpoint's file is compared with what is at its path.
  if (rotationsUnmarked) await markLegacyRotations(state.files, globMatcher(patterns));
  await forgetOwnFiles(state, stateDir, logger);
  try {
    await store.save(state);
  } catch (error) {
    if (fullDiskRunsOn && isFullDisk(error)) return state;
    throw await stateDirError(store.dir, error, "cannot write to");
  }
  return state;
}

/**
 * The saved state, or an empty one after moving a corrupt file aside: a
 * shipper that refuses to start ships nothing, while one that starts over
 * re-sends what the files still hold, under new keys.
 */
async function readState(store: StateStore, logger: Logger): Promise<LoadedState> {
  try {
    await store.init();
    return await store.load();
  } catch (error) {
    if (error instanceof StateTooNewError) {
      throw new FatalError(`${error.message}: ${error.advice}`);
    }
    if (!(error instanceof StateCorruptError)) throw await stateDirError(store.dir, error, "cannot use");
    let aside: string;
    try {
      aside = await store.quarantine();
    } catch (renameError) {
      throw new FatalError(`${error.message}, and it cannot be moved aside: ${(renameError as NodeJS.ErrnoException).code ?? String(renameError)}`);
    }
    logger.error(
      { reason: error.message, movedTo: aside },
      "state file is corrupt: moved aside, starting with empty state; the watched files are shipped again from their start, so lines already in S3 may arrive a second time under new keys",
    );
    return { files: [], rotationsUnmarked: false };
  }
}

/**
 * The state dir's real path, which the globs' walk and the watcher compare
 * against theirs (the same directory may be spelled through a symlink or
 * `..`). A glob that covers it (/var/**) is a fair configuration: said once,
 * at debug level, not at every state save.
 */
async function resolveStateDir(config: ShipLogsConfig, logger: Logger): Promise<string> {
  let real: string;
  try {
    real = await realpath(config.stateDir);
  } catch (error) {
    throw await stateDirError(config.stateDir, error, "cannot use");
  }
  const reaches = directoryMatcher(config.watch);
  if (reaches(real) || reaches(resolve(config.stateDir))) {
    logger.debug({ stateDir: real }, "the --watch globs reach the state directory; its files are ship-logs' own and are not shipped");
  }
  return real;
}

/**
 * Checkpoints of files in the state dir, saved by a release that shipped them
 * as logs (a glob covering the state dir): they are never sources now, and,
 * kept, each start would look for a state.json long replaced and warn that it
 * "is gone". Dropped once, said once; batches of theirs in the spool still go
 * (sendSpooled), under the keys they were given. One realpath per directory.
 */
async function forgetOwnFiles(state: ShipState, stateDir: string, logger: Logger): Promise<void> {
  const realDirs = new Map<string, string>();
  const own: string[] = [];
  for (let index = state.files.length - 1; index >= 0; index--) {
    const checkpoint = state.files[index] as FileCheckpoint;
    const dir = checkpoint.realDir ?? dirname(checkpoint.path);
    let real = realDirs.get(dir);
    if (real === undefined) {
      real = await realpath(dir).catch(() => dir);
      realDirs.set(dir, real);
    }
    if (!isWithin(real, stateDir)) continue;
    own.push(checkpoint.path);
    state.files.splice(index, 1);
  }
  if (own.length > 0) logger.info({ stateDir, paths: own }, "forgot the checkpoints of ship-logs' own files in the state directory, which an earlier release shipped as logs");
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
