import type { Logger } from "pino";
import type { CredentialCache } from "../credentials/CredentialCache.js";
import { monotonicNow } from "../time/monotonicNow.js";
import { backoffMs } from "./backoff.js";
import { sleep } from "../time/sleep.js";
import { classifyS3Error, type S3ErrorInfo } from "./classifyS3Error.js";
import { accessDeniedAdvice } from "./accessDeniedAdvice.js";
import { failureAdvice } from "./failureAdvice.js";
import { UploadFailedError } from "./UploadFailedError.js";

export interface RetryPolicy {
  /** Attempts per request before giving up; Infinity in the daemon, which never drops a batch. */
  maxAttempts: number;
  /** Whether a `permanent` error (AccessDenied, NoSuchBucket) ends the attempts at once. */
  failFastOnPermanent: boolean;
  baseMs: number;
  maxMs: number;
}

/** What metrics learn about failed requests. */
export interface RequestObserver {
  failed(code: string): void;
  retried(): void;
}

export interface S3RequestRetrierOptions {
  bucket: string;
  /** `--prefix`: what the role's policy must cover, for the AccessDenied advice (default ""). */
  keyPrefix?: string;
  credentials: CredentialCache;
  logger: Logger;
  retry: RetryPolicy;
  /** Aborting cancels the request in flight and ends the waits between attempts early (shutdown). */
  signal?: AbortSignal;
  observer?: RequestObserver;
}

/** The SDK's per-request options: the abort signal, when there is one. */
export interface RequestOptions {
  abortSignal?: AbortSignal;
}

function describeFailure(bucket: string, keyPrefix: string, key: string, info: S3ErrorInfo): string {
  const status = info.status !== undefined ? ` (HTTP ${info.status})` : "";
  switch (info.code) {
    case "AccessDenied":
      // A key recorded under an earlier --prefix (a spooled batch, a
      // pending intent) needs its own grant, not the current prefix's.
      return `S3 denied PutObject on s3://${bucket}/${key}${status}: ${accessDeniedAdvice(bucket, key.startsWith(keyPrefix) ? `${keyPrefix}*` : key, info.denial ?? {})}`;
    case "NoSuchBucket":
      return `bucket ${bucket} does not exist${status}`;
    case "MissingETag":
      return `upload of s3://${bucket}/${key} failed: ${failureAdvice(info)}`;
    case "TimeoutError":
      return `upload of s3://${bucket}/${key} failed: no answer within --request-timeout (TimeoutError)`;
    default: {
      const advice = failureAdvice(info);
      return `upload of s3://${bucket}/${key} failed: ${info.code}${status}${advice ? `: ${advice}` : ""}`;
    }
  }
}

/** Longest wait for credentials between resends: the cache paces its own provider attempts, and asking it is free. */
const NO_CREDENTIALS_RECHECK_MS = 2_000;

function waitBeforeResend(info: S3ErrorInfo, attempt: number, retry: RetryPolicy, renewed: boolean): number {
  // The first resend after a credential refresh goes out at once, and so
  // does one once the refresh brought new keys.
  if (info.class === "credentials" && (attempt === 0 || renewed)) return 0;
  const backoff = backoffMs(attempt, retry.baseMs, retry.maxMs);
  // Uploads resume within seconds of new credentials, however long they took.
  return info.class === "no-credentials" ? Math.min(backoff, NO_CREDENTIALS_RECHECK_MS) : backoff;
}

/**
 * Sends the requests that store an object (PutObject, and the requests of a
 * multipart upload) with what the SDK's own retries lack:
 * - ExpiredToken / InvalidToken / InvalidAccessKeyId: fetch new credentials
 *   and send the same request again (research §2b.3);
 * - longer outages: capped backoff with jitter, forever in the daemon;
 * - one log line per kind of failure in a streak rather than per request.
 * Every request is idempotent (same key, same bytes; a part number names its
 * part), so sending one again is always safe.
 */
export class S3RequestRetrier {
  /**
   * When the failure streak began: on the wall clock for status.json
   * ("uploads failing since", a time for humans), and on the monotonic clock
   * for how long it has lasted (a step of the wall clock is no outage).
   */
  private streakStart: { wall: number; monotonic: number } | undefined;
  private failuresInStreak = 0;
  private readonly codesInStreak = new Set<string>();
  /** Since when (monotonic) uploads have waited for credentials without a success (the cache has said why, once). */
  private credentialsAwaitedSince: number | undefined;

  constructor(private readonly options: S3RequestRetrierOptions) {}

  /**
   * Runs `request` until it succeeds or the policy gives up with an
   * `UploadFailedError` naming `key`. Codes in `giveUpOn` are handed back at
   * once, unlogged: the caller has a better answer to them than sending again.
   */
  async send<T>(key: string, request: (options: RequestOptions) => Promise<T>, giveUpOn: ReadonlySet<string> = new Set()): Promise<T> {
    const { retry, bucket, logger, signal } = this.options;
    const keyPrefix = this.options.keyPrefix ?? "";
    // New keys cut a request's backoff short once: a provider that mints new
    // keys at every call (an AssumeRole profile, a credential_process) for an
    // endpoint that refuses them all would otherwise be asked, and S3 sent
    // to, in a loop without pause.
    let newKeysMayCut = true;
    for (let attempt = 0; ; attempt += 1) {
      const keys = this.options.credentials.generation;
      try {
        const result = await request(signal ? { abortSignal: signal } : {});
        this.recovered();
        return result;
      } catch (error) {
        const info = classifyS3Error(error);
        // Cancelled by the stop's timeout: no failure of S3's to log or count
        // (the stop says what it left for the next start).
        if (giveUpOn.has(info.code) || signal?.aborted === true) throw new UploadFailedError(describeFailure(bucket, keyPrefix, key, info), info.code);
        // Without credentials the request was never sent: no S3 error, no
        // billed request, nothing S3 refused. The wait is the credentials'
        // (ship_logs_credentials_expiry_seconds, ship_logs_imds_errors_total,
        // /readyz "no valid credentials"), not a failure of uploads.
        const sentToS3 = info.class !== "no-credentials";
        if (sentToS3) {
          this.options.observer?.failed(info.code);
          this.failed(key, info);
        } else {
          this.waitingForCredentials(key, info);
        }
        // The keys were refused: whatever their expiry says, get new ones.
        const renewed = info.class === "credentials" && (await this.options.credentials.forceRefresh(keys));
        const giveUp = attempt + 1 >= retry.maxAttempts || (info.class === "permanent" && retry.failFastOnPermanent);
        if (giveUp) throw new UploadFailedError(describeFailure(bucket, keyPrefix, key, info), info.code);
        const cut = renewed && newKeysMayCut && attempt > 0;
        const wait = waitBeforeResend(info, attempt, retry, cut);
        logger.debug({ key, code: info.code, attempt, waitMs: wait }, sentToS3 ? "upload failed; retrying" : "no credentials; the upload waits for them");
        if (sentToS3) this.options.observer?.retried();
        if (cut || (await this.pause(wait, info, newKeysMayCut))) newKeysMayCut = false;
      }
    }
  }

  /**
   * Waits `ms` before a resend, or until the stop. After a refusal of the
   * keys, or with none, and `keysMayWake`, new keys end the wait at once,
   * whichever refresh brought them (the keepFresh timer's, another
   * upload's). True when they did.
   */
  private async pause(ms: number, info: S3ErrorInfo, keysMayWake: boolean): Promise<boolean> {
    const { credentials, signal } = this.options;
    if (!keysMayWake || (info.class !== "credentials" && info.class !== "no-credentials")) {
      await sleep(ms, signal);
      return false;
    }
    if (signal?.aborted) return false;
    const woken = new AbortController();
    const stop = (): void => woken.abort();
    signal?.addEventListener("abort", stop, { once: true });
    const generation = credentials.generation;
    try {
      await Promise.race([sleep(ms, woken.signal), credentials.newerKeys(generation, woken.signal)]);
      return credentials.generation > generation;
    } finally {
      woken.abort();
      signal?.removeEventListener("abort", stop);
    }
  }

  /** Since when (epoch ms) requests have been failing without a success in between; undefined when healthy. */
  get failingSince(): number | undefined {
    return this.streakStart?.wall;
  }

  /** How long requests have been failing without a success in between; undefined when healthy. */
  get failingForMs(): number | undefined {
    return this.streakStart === undefined ? undefined : monotonicNow() - this.streakStart.monotonic;
  }

  private failed(key: string, info: S3ErrorInfo): void {
    this.failuresInStreak += 1;
    // One line per kind of failure in a streak: a throttle that turns into
    // an AccessDenied (a policy change) must not stay hidden behind the
    // first line, yet a streak of the same error says it once.
    if (this.codesInStreak.has(info.code)) return;
    this.codesInStreak.add(info.code);
    this.streakStart ??= { wall: Date.now(), monotonic: monotonicNow() };
    const { logger } = this.options;
    const log = info.class === "credentials" ? logger.warn.bind(logger) : logger.error.bind(logger);
    log({ bucket: this.options.bucket, key, code: info.code, status: info.status }, describeFailure(this.options.bucket, this.options.keyPrefix ?? "", key, info));
  }

  private waitingForCredentials(key: string, info: S3ErrorInfo): void {
    if (this.credentialsAwaitedSince !== undefined) return;
    this.credentialsAwaitedSince = monotonicNow();
    // Without credentials the cache has already said why, once; a line per
    // upload would only repeat it less clearly.
    this.options.logger.debug({ bucket: this.options.bucket, key, code: info.code }, "uploads wait for credentials");
  }

  private recovered(): void {
    const awaited = this.credentialsAwaitedSince;
    this.credentialsAwaitedSince = undefined;
    if (this.streakStart === undefined) {
      // Uploads resumed once the provider answered: said as after a failure streak.
      if (awaited !== undefined) {
        this.options.logger.info({ failures: 0, waitedForCredentials: true, seconds: Math.round((monotonicNow() - awaited) / 1000) }, "uploads succeed again");
      }
      return;
    }
    this.options.logger.info(
      { failures: this.failuresInStreak, seconds: Math.round((monotonicNow() - this.streakStart.monotonic) / 1000) },
      "uploads succeed again",
    );
    this.streakStart = undefined;
    this.failuresInStreak = 0;
    this.codesInStreak.clear();
  }
}
