import type { AwsCredentialIdentity } from "@aws-sdk/types";
import type { Logger } from "pino";
import type { CredentialFailure } from "./CredentialFailure.js";
import type { CredentialSource, FetchedCredentials } from "./CredentialSource.js";
import { CredentialsUnavailableError } from "./CredentialsUnavailableError.js";
import { ProviderTimeoutError } from "./ProviderTimeoutError.js";
import { refreshWindowMs } from "./refreshWindow.js";

/** Longest spacing between provider attempts once no unexpired credentials are left: every upload waits for the next attempt. */
const MAX_RETRY_WITHOUT_CREDENTIALS_MS = 5_000;

export interface CredentialCacheOptions {
  source: CredentialSource;
  logger: Logger;
  /** Turns a provider failure into one operator-facing line, free of secrets (and, from IMDS, its kind). */
  describeError: (error: unknown) => CredentialFailure;
  now?: () => number;
  /** Spacing between provider attempts while it keeps failing. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** How long one provider call may take before it counts as failed. */
  fetchTimeoutMs?: number;
  /**
   * How long keys the provider has just handed out are used although this
   * host's clock says they have expired, before the provider is asked again
   * (see acceptExpiredLooking). Default five minutes.
   */
  unconfirmedKeysMs?: number;
}

interface Cached {
  identity: AwsCredentialIdentity;
  /** The real expiry (never one extended by the SDK's static stability). */
  expiresAt: number;
  refreshAt: number;
  /**
   * Set while the keys are used although they looked expired by this host's
   * clock when fetched: the end of that use, unless the clock the SDK takes
   * from S3's answers shows them valid first, or S3 refuses them.
   */
  graceUntil?: number | undefined;
  /** How long before this host's clock the keys expired, when they were fetched. */
  expiredByMs?: number | undefined;
}

/** Until when the keys may be handed out: their expiry, or the end of their unconfirmed use. */
function validUntil(cached: Cached): number {
  return cached.graceUntil ?? cached.expiresAt;
}

/** What `check` reports about keys used although this host's clock says they have expired. */
export interface ExpiredByHostClock {
  expiration: Date;
  /** How long before this host's clock said it was "now" the keys expired, when fetched. */
  expiredByMs: number;
}

/** Provider calls given up on, still running, past which no new one is started. */
const MAX_ABANDONED_FETCHES = 3;

/**
 * The product's own credential cache. The SDK's S3 client would otherwise
 * memoize credentials itself, re-fetch on every request inside the last five
 * minutes and fail a request when IMDS is down even though the cached keys are
 * still valid (research §2a). This cache:
 * - refreshes ahead of expiry (see refreshWindowMs);
 * - keeps serving unexpired credentials while the provider fails, logging the
 *   outage once per streak, and spacing provider attempts with backoff;
 * - throws CredentialsUnavailableError only when nothing unexpired is left;
 * - supports a forced refresh after S3 rejected the current keys;
 * - with keepFresh(), refreshes on a timer too, so a quiet host holds valid
 *   keys when its next upload comes, whatever IMDS is doing by then;
 * - uses new keys that look expired by this host's clock for a bounded while
 *   (a clock ahead of AWS's, most likely), until S3's answers correct the
 *   clock or S3 refuses them.
 */
export class CredentialCache {
  private cached: Cached | undefined;
  private inFlight: Promise<void> | undefined;
  private keysGeneration = 0;
  private failureStreak = 0;
  private nextAttemptAt = 0;
  private lastFailure: CredentialFailure | undefined;
  private expiryReported = false;
  private staleReported = false;
  private failedFetchCount = 0;
  private keepingFresh = false;
  /** Woken when new keys are cached (newerKeys). */
  private readonly keyWaiters = new Set<() => void>();
  /** Provider calls given up on after fetchTimeoutMs that have not settled yet. */
  private abandoned = 0;
  private capReported = false;
  /** The fast-clock warning was given, and the clock has not been seen right since. */
  private clockReported = false;
  /** Keys S3 refused while they looked expired: never used on trust again. */
  private refusedKeyId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly minRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly unconfirmedKeysMs: number;

  constructor(private readonly options: CredentialCacheOptions) {
    this.now = options.now ?? Date.now;
    this.minRetryMs = options.minRetryMs ?? 1_000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 30_000;
    this.unconfirmedKeysMs = options.unconfirmedKeysMs ?? 5 * 60_000;
  }

  /** The identity provider handed to the S3 client; cheap when cached. */
  async get(): Promise<AwsCredentialIdentity> {
    const now = this.now();
    const cached = this.current(now);
    const valid = cached !== undefined && now < validUntil(cached);
    if (valid && now < cached.refreshAt) return cached.identity;
    if (now >= this.nextAttemptAt) {
      const refreshing = this.refresh(false);
      // Valid keys go out while the refresh runs: an IMDS that takes the
      // connection and never answers must not hold every upload.
      if (!valid) await refreshing;
    }
    return this.usable();
  }

  /**
   * Called after S3 answered ExpiredToken, InvalidToken or InvalidAccessKeyId:
   * the keys are no good whatever their expiry says, so fetch now.
   * Returns true when the provider handed out keys different from before.
   */
  async forceRefresh(signedWith?: number): Promise<boolean> {
    // Uploads signed with the old keys are refused one after another: once
    // the first refusal has brought new keys, the others just resend. Asked
    // again, IMDS would hand back the new keys, taken for rejected ones.
    if (signedWith !== undefined && signedWith !== this.keysGeneration) return true;
    // An answer that put the SDK's clock right may show the keys valid after all.
    const cached = this.current(this.now());
    const before = cached?.identity.accessKeyId;
    if (cached?.graceUntil !== undefined) {
      // S3 has judged keys this host's clock called expired, and refused
      // them: the clock was not the reason (or not the only one).
      this.refusedKeyId = cached.identity.accessKeyId;
      cached.graceUntil = undefined;
      cached.refreshAt = cached.expiresAt;
    } else if (before !== undefined && before === this.refusedKeyId && this.now() < this.nextAttemptAt) {
      // Another upload signed with the same refused keys: the provider was
      // just asked, and is asked again on the backoff, not per refusal.
      return false;
    }
    await this.refresh(true);
    return this.cached !== undefined && this.cached.identity.accessKeyId !== before;
  }

  /** Counts the key sets fetched: read before a request, handed to forceRefresh() if S3 refuses it. */
  get generation(): number {
    return this.keysGeneration;
  }

  /**
   * Resolves once keys newer than `generation` are cached (by a refresh of
   * any kind), or when `signal` aborts: an upload waiting out its backoff
   * after S3 refused the old keys resends as soon as there are new ones.
   */
  newerKeys(generation: number, signal: AbortSignal): Promise<void> {
    if (this.keysGeneration > generation || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.keyWaiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.keyWaiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * Refresh when the refresh window opens (and retry on the backoff while the
   * provider fails) even if no upload asks. Without it the refresh waits for
   * the next upload: on a host that logs nothing for a while the keys expire
   * in the meantime, and an IMDS outage at that moment would stop the upload.
   * The timer does not keep the process alive.
   */
  keepFresh(): void {
    this.keepingFresh = true;
    this.schedule();
  }

  stopKeepingFresh(): void {
    this.keepingFresh = false;
    clearTimeout(this.timer);
  }

  /** Provider calls that failed since start (IMDS errors, for metrics). */
  get failedFetches(): number {
    return this.failedFetchCount;
  }

  /** Seconds until the cached credentials expire, or undefined with none cached. */
  secondsToExpiry(): number | undefined {
    const now = this.now();
    const cached = this.current(now);
    return cached ? Math.floor((cached.expiresAt - now) / 1000) : undefined;
  }

  /**
   * Set while the cached keys are used although this host's clock said they
   * had expired when they were fetched, and neither S3's clock (as the SDK
   * learned it) nor S3's refusal has settled it yet.
   */
  expiredByHostClock(): ExpiredByHostClock | undefined {
    const cached = this.current(this.now());
    if (cached?.graceUntil === undefined) return undefined;
    return { expiration: new Date(cached.expiresAt), expiredByMs: cached.expiredByMs ?? 0 };
  }

  /**
   * The cached keys, after settling unconfirmed ones by the clock as it is
   * now: once an S3 answer has put the SDK's clock right, now() shows them
   * valid, and they are judged by their expiry again like any others.
   */
  private current(now: number): Cached | undefined {
    const cached = this.cached;
    if (cached?.graceUntil !== undefined && now < cached.expiresAt) {
      cached.graceUntil = undefined;
      cached.expiredByMs = undefined;
      cached.refreshAt = cached.expiresAt - refreshWindowMs(cached.expiresAt - now);
      this.clockReported = false;
      this.options.logger.info(
        { accessKeyIdSuffix: cached.identity.accessKeyId.slice(-4), expiration: new Date(cached.expiresAt).toISOString() },
        "by S3's clock the credentials have not expired: this host's clock is ahead; using them until they do",
      );
      this.schedule();
    }
    return cached;
  }

  private usable(): AwsCredentialIdentity {
    const cached = this.cached;
    if (cached && this.now() < validUntil(cached)) return cached.identity;
    const why = this.lastFailure?.detail ?? "no credentials fetched yet";
    if (cached && !this.expiryReported) {
      // Said once: every upload attempt lands here until the provider answers.
      this.expiryReported = true;
      this.options.logger.error({ reason: why }, "credentials expired; uploads wait until new credentials can be fetched");
    }
    throw new CredentialsUnavailableError(
      cached ? `credentials expired and cannot be refreshed: ${why}` : `cannot get credentials: ${why}`,
      this.lastFailure?.kind,
    );
  }

  private refresh(forced: boolean): Promise<void> {
    // One provider call at a time: concurrent uploads share its outcome. It
    // never rejects: get() and the keepFresh timer may not be waiting for it.
    this.inFlight ??= this.fetchOnce(forced)
      .catch((error: unknown) => this.recordFailure(this.options.describeError(error)))
      .finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
    return this.inFlight;
  }

  /** Arms the keepFresh timer for the next refresh or retry, whichever is later. */
  private schedule(): void {
    if (!this.keepingFresh) return;
    clearTimeout(this.timer);
    const due = Math.max(this.cached?.refreshAt ?? 0, this.nextAttemptAt);
    if (!Number.isFinite(due)) return;
    // Node timers hold at most 2^31 - 1 ms; a later refresh re-arms on firing.
    const delay = Math.min(Math.max(0, due - this.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.onTimer(), delay);
    this.timer.unref();
  }

  private onTimer(): void {
    const now = this.now();
    this.current(now);
    const due = (this.cached === undefined || now >= this.cached.refreshAt) && now >= this.nextAttemptAt;
    // Not through get(): "credentials expired; uploads wait" is for when uploads do wait.
    if (due) void this.refresh(false);
    else this.schedule();
  }

  private async fetchOnce(forced: boolean): Promise<void> {
    let fetched: FetchedCredentials;
    try {
      if (this.abandoned >= MAX_ABANDONED_FETCHES) {
        // Each abandoned call may be a credential_process still running: past
        // a few, starting more would only pile processes up (TasksMax=).
        const reason = `${this.abandoned} calls to the credentials provider that did not answer have not ended; no new call until one does`;
        if (!this.capReported) {
          // Said at once, whatever the failure streak: only a restart ends them.
          this.capReported = true;
          this.options.logger.error({ reason }, "credentials provider calls hang (a credential_process?); restarting the service ends them");
        }
        this.recordFailure({ detail: reason });
        return;
      }
      fetched = await this.withinDeadline(this.options.source());
    } catch (error) {
      this.recordFailure(error instanceof ProviderTimeoutError ? { detail: error.message } : this.options.describeError(error));
      return;
    }
    const previous = this.cached;
    // The SDK's static stability hands back the previous keys with a made-up
    // expiry when IMDS fails; the original expiry is what S3 will enforce.
    const realExpiry = fetched.originalExpiration ?? fetched.expiration;
    const expiresAt = realExpiry ? realExpiry.getTime() : Number.POSITIVE_INFINITY;
    const now = this.now();
    if (Number.isNaN(expiresAt)) {
      this.recordFailure({ detail: "the credentials provider returned an expiry that is not a date" });
      return;
    }
    const sameKeys = previous?.identity.accessKeyId === fetched.accessKeyId;
    const expired = (): string =>
      `the credentials provider returned credentials that expired at ${new Date(expiresAt).toISOString()}, ${describeMs(now - expiresAt)} before this host's clock says it is now`;
    if (expiresAt <= now && fetched.accessKeyId === this.refusedKeyId) {
      this.recordFailure({ detail: `${expired()}, and S3 refused them` });
      return;
    }
    // The SDK marks keys that look expired by this host's clock with
    // originalExpiration too, new ones included: those are judged below.
    if (fetched.originalExpiration && sameKeys && previous.graceUntil === undefined) {
      this.recordFailure({ detail: "the instance metadata service did not return new credentials" });
      return;
    }
    if (expiresAt <= now) {
      // Keys this cache already held as valid have expired for good: IMDS
      // has not rotated them (or the SDK's static stability handed them back).
      if (sameKeys && previous.graceUntil === undefined) {
        this.recordFailure({ detail: fetched.originalExpiration ? "the instance metadata service did not return new credentials" : expired() });
        return;
      }
      this.acceptExpiredLooking(fetched, expiresAt, now, forced);
      return;
    }
    const lifetimeMs = expiresAt - now;
    let refreshAt = Number.isFinite(expiresAt) ? expiresAt - refreshWindowMs(lifetimeMs) : Number.POSITIVE_INFINITY;
    if (sameKeys && Number.isFinite(expiresAt)) {
      // IMDS has not rotated yet: ask again after an eighth of the remaining
      // life (1-30 s), rather than on every request or only at the expiry.
      // (Keys without an expiry are asked for again only when S3 refuses them.)
      refreshAt = Math.min(expiresAt, now + Math.min(this.maxRetryMs, Math.max(this.minRetryMs, lifetimeMs / 8)));
    }
    const identity: AwsCredentialIdentity = {
      accessKeyId: fetched.accessKeyId,
      secretAccessKey: fetched.secretAccessKey,
      ...(fetched.sessionToken !== undefined ? { sessionToken: fetched.sessionToken } : {}),
      ...(realExpiry ? { expiration: realExpiry } : {}),
    };
    this.cached = { identity, expiresAt, refreshAt };
    this.clockReported = false;
    this.stored(fetched, realExpiry, sameKeys, forced);
  }

  /**
   * Keys the provider has just handed out that look expired by this host's
   * clock. EC2 rotates role keys well before they expire, so such keys most
   * likely mean a host clock ahead of AWS's. Judged by that clock they would
   * never be used: no request would go out, the SDK would never learn S3's
   * clock from an answer, and the host would never ship. They are used for
   * unconfirmedKeysMs: the first S3 answer corrects the SDK's clock (and
   * current() then judges them by their expiry), or S3 refuses them
   * (forceRefresh: they are not trusted again). An idle host asks the
   * provider again once per that while, no more often.
   */
  private acceptExpiredLooking(fetched: FetchedCredentials, expiresAt: number, now: number, forced: boolean): void {
    const previous = this.cached;
    const sameKeys = previous?.identity.accessKeyId === fetched.accessKeyId;
    const realExpiry = new Date(expiresAt);
    const graceUntil = now + this.unconfirmedKeysMs;
    const identity: AwsCredentialIdentity = {
      accessKeyId: fetched.accessKeyId,
      secretAccessKey: fetched.secretAccessKey,
      ...(fetched.sessionToken !== undefined ? { sessionToken: fetched.sessionToken } : {}),
      expiration: realExpiry,
    };
    this.cached = {
      identity,
      expiresAt,
      refreshAt: graceUntil - refreshWindowMs(this.unconfirmedKeysMs),
      graceUntil,
      expiredByMs: now - expiresAt,
    };
    if (!this.clockReported) {
      this.clockReported = true;
      this.options.logger.warn(
        { accessKeyIdSuffix: fetched.accessKeyId.slice(-4), expiration: realExpiry.toISOString(), secondsPastExpiry: Math.round((now - expiresAt) / 1000) },
        `the credentials expire at ${realExpiry.toISOString()}, ${describeMs(now - expiresAt)} before this host's clock says it is now: is the host's clock ahead (chrony/NTP)? using them; S3's answers correct the clock`,
      );
    }
    this.stored(fetched, realExpiry, sameKeys, forced);
  }

  /** Bookkeeping once keys are cached: the failure streak ends, waiters wake for new keys. */
  private stored(fetched: FetchedCredentials, realExpiry: Date | undefined, sameKeys: boolean, forced: boolean): void {
    if (this.failureStreak > 0) {
      this.options.logger.info({ failedAttempts: this.failureStreak }, "credentials provider is answering again");
    }
    this.failureStreak = 0;
    this.lastFailure = undefined;
    this.expiryReported = false;
    this.nextAttemptAt = 0;
    if (!sameKeys) {
      this.keysGeneration += 1;
      for (const wake of [...this.keyWaiters]) wake();
      this.staleReported = false;
      this.options.logger.info(
        {
          accessKeyIdSuffix: fetched.accessKeyId.slice(-4),
          expiration: realExpiry?.toISOString(),
          forced,
        },
        "credentials refreshed",
      );
    } else if (forced && !this.staleReported) {
      // Once per set of keys: S3 keeps refusing them until IMDS rotates.
      this.staleReported = true;
      this.options.logger.warn(
        { accessKeyIdSuffix: fetched.accessKeyId.slice(-4) },
        "credentials provider returned the same keys that S3 rejected; will retry",
      );
    }
  }

  /**
   * The provider's answer, or a ProviderTimeoutError after fetchTimeoutMs. The
   * SDK bounds its IMDS calls, but not a hung credential_process or an STS
   * call in chain mode; a fetch that never settles would hold every later
   * refresh behind it (one provider call at a time).
   */
  private withinDeadline(fetching: Promise<FetchedCredentials>): Promise<FetchedCredentials> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.abandoned += 1;
        const ended = (): void => {
          this.abandoned -= 1;
          this.capReported = false;
        };
        fetching.then(ended, ended);
        reject(new ProviderTimeoutError(this.fetchTimeoutMs));
      }, this.fetchTimeoutMs);
      timer.unref();
    });
    return Promise.race([fetching, deadline]).finally(() => clearTimeout(timer));
  }

  private recordFailure(failure: CredentialFailure): void {
    this.failureStreak += 1;
    this.failedFetchCount += 1;
    this.lastFailure = failure;
    const now = this.now();
    const cached = this.cached;
    const stillValid = cached !== undefined && now < validUntil(cached);
    this.nextAttemptAt = now + this.retryDelayMs(stillValid ? validUntil(cached) - now : undefined);
    if (this.failureStreak === 1) {
      this.options.logger.error(
        {
          reason: failure.detail,
          usingCachedUntil: stillValid ? new Date(validUntil(cached)).toISOString() : undefined,
        },
        stillValid
          ? "credentials refresh failed; still using the cached credentials until they expire"
          : "credentials refresh failed; uploads wait until credentials can be fetched",
      );
    }
  }

  /**
   * Exponential backoff between provider attempts, bounded by what waiting
   * costs. While the cached keys are valid, the next attempt comes before half
   * of their remaining life is gone: a backoff that jumped past the expiry
   * would pause uploads even though IMDS was back in time. With nothing valid
   * left every upload waits for the next attempt, so attempts stay frequent.
   */
  private retryDelayMs(validForMs: number | undefined): number {
    const backoff = Math.min(this.maxRetryMs, this.minRetryMs * 2 ** Math.min(this.failureStreak - 1, 10));
    const bound = validForMs === undefined ? MAX_RETRY_WITHOUT_CREDENTIALS_MS : Math.max(this.minRetryMs, validForMs / 2);
    return Math.min(backoff, bound);
  }
}

/** "8 h 0 min", "17 min 3 s", "42 s": how far off a clock is, for a log line. */
function describeMs(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
