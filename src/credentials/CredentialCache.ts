import type { AwsCredentialIdentity } from "@aws-sdk/types";
import type { Logger } from "pino";
import type { CredentialSource, FetchedCredentials } from "./CredentialSource.js";
import { CredentialsUnavailableError } from "./CredentialsUnavailableError.js";
import { ProviderTimeoutError } from "./ProviderTimeoutError.js";
import { refreshWindowMs } from "./refreshWindow.js";

export interface CredentialCacheOptions {
  source: CredentialSource;
  logger: Logger;
  /** Turns a provider failure into one operator-facing line, free of secrets. */
  describeError: (error: unknown) => string;
  now?: () => number;
  /** Spacing between provider attempts while it keeps failing. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** Longest spacing once no unexpired credentials are left: every upload waits for the next attempt. */
  maxRetryWithoutCredentialsMs?: number;
  /** How long one provider call may take before it counts as failed. */
  fetchTimeoutMs?: number;
}

interface Cached {
  identity: AwsCredentialIdentity;
  /** The real expiry (never one extended by the SDK's static stability). */
  expiresAt: number;
  refreshAt: number;
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
 *   keys when its next upload comes, whatever IMDS is doing by then.
 */
export class CredentialCache {
  private cached: Cached | undefined;
  private inFlight: Promise<void> | undefined;
  private keysGeneration = 0;
  private failureStreak = 0;
  private nextAttemptAt = 0;
  private lastFailure: string | undefined;
  private expiryReported = false;
  private staleReported = false;
  private failedFetchCount = 0;
  private keepingFresh = false;
  /** Woken when new keys are cached (newerKeys). */
  private readonly keyWaiters = new Set<() => void>();
  /** Provider calls given up on after fetchTimeoutMs that have not settled yet. */
  private abandoned = 0;
  private capReported = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly minRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly maxRetryWithoutCredentialsMs: number;
  private readonly fetchTimeoutMs: number;

  constructor(private readonly options: CredentialCacheOptions) {
    this.now = options.now ?? Date.now;
    this.minRetryMs = options.minRetryMs ?? 1_000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.maxRetryWithoutCredentialsMs = options.maxRetryWithoutCredentialsMs ?? 5_000;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 30_000;
  }

  /** The identity provider handed to the S3 client; cheap when cached. */
  async get(): Promise<AwsCredentialIdentity> {
    const now = this.now();
    const cached = this.cached;
    const valid = cached !== undefined && now < cached.expiresAt;
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
    const before = this.cached?.identity.accessKeyId;
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
    return this.cached ? Math.floor((this.cached.expiresAt - this.now()) / 1000) : undefined;
  }

  private usable(): AwsCredentialIdentity {
    const cached = this.cached;
    if (cached && this.now() < cached.expiresAt) return cached.identity;
    const why = this.lastFailure ?? "no credentials fetched yet";
    if (cached && !this.expiryReported) {
      // Said once: every upload attempt lands here until the provider answers.
      this.expiryReported = true;
      this.options.logger.error({ reason: why }, "credentials expired; uploads wait until new credentials can be fetched");
    }
    throw new CredentialsUnavailableError(
      cached ? `credentials expired and cannot be refreshed: ${why}` : `cannot get credentials: ${why}`,
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
        this.recordFailure(reason);
        return;
      }
      fetched = await this.withinDeadline(this.options.source());
    } catch (error) {
      this.recordFailure(error instanceof ProviderTimeoutError ? error.message : this.options.describeError(error));
      return;
    }
    const previous = this.cached;
    // The SDK's static stability hands back the previous keys with a made-up
    // expiry when IMDS fails; the original expiry is what S3 will enforce.
    const realExpiry = fetched.originalExpiration ?? fetched.expiration;
    const expiresAt = realExpiry ? realExpiry.getTime() : Number.POSITIVE_INFINITY;
    const now = this.now();
    if (Number.isNaN(expiresAt)) {
      this.recordFailure("the credentials provider returned an expiry that is not a date");
      return;
    }
    if (fetched.originalExpiration && previous?.identity.accessKeyId === fetched.accessKeyId) {
      this.recordFailure("the instance metadata service did not return new credentials");
      return;
    }
    if (expiresAt <= now) {
      this.recordFailure("the credentials provider returned credentials that have already expired");
      return;
    }
    const sameKeys = previous?.identity.accessKeyId === fetched.accessKeyId;
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

  private recordFailure(reason: string): void {
    this.failureStreak += 1;
    this.failedFetchCount += 1;
    this.lastFailure = reason;
    const now = this.now();
    const cached = this.cached;
    const stillValid = cached !== undefined && now < cached.expiresAt;
    this.nextAttemptAt = now + this.retryDelayMs(stillValid ? cached.expiresAt - now : undefined);
    if (this.failureStreak === 1) {
      this.options.logger.error(
        {
          reason,
          usingCachedUntil: stillValid ? new Date(cached.expiresAt).toISOString() : undefined,
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
    const bound = validForMs === undefined ? this.maxRetryWithoutCredentialsMs : Math.max(this.minRetryMs, validForMs / 2);
    return Math.min(backoff, bound);
  }
}
