import { pino } from "pino";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CredentialCache } from "../../src/credentials/CredentialCache.js";
import type { FetchedCredentials } from "../../src/credentials/CredentialSource.js";
import { CredentialsUnavailableError } from "../../src/credentials/CredentialsUnavailableError.js";

/**
 * Keys that look expired by this host's clock when the provider hands them out. On a host whose
 * clock is ahead of AWS's by more than the keys' remaining life, refusing them means no request
 * ever goes out, so the SDK never learns S3's clock and the host never ships. The cache uses them
 * for a bounded while instead; S3's clock (through now()) or S3's refusal settles them.
 */

const HOUR = 3600_000;

function creds(id: string, expiresAt: number, extra: Partial<FetchedCredentials> = {}): FetchedCredentials {
  return { accessKeyId: id, secretAccessKey: `secret-${id}`, sessionToken: `token-${id}`, expiration: new Date(expiresAt), ...extra };
}

/** Log records as JSON, to look for the warning and for secrets. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines, records: () => lines.map((line) => JSON.parse(line) as { level: number; msg: string }) };
}

/**
 * A host `aheadMs` fast: the provider (AWS) mints keys by AWS's clock; the cache judges them by
 * the host's, corrected by `offset` once "S3 has answered" (as wirePipeline's now() does).
 */
function fastHost(options: { aheadMs: number; mint: (awsNow: number, call: number) => FetchedCredentials; unconfirmedKeysMs?: number }) {
  let awsNow = 1_700_000_000_000;
  let offset = 0;
  let calls = 0;
  const log = capture();
  const cache = new CredentialCache({
    source: async () => {
      calls += 1;
      // The SDK marks keys that look expired by the host's clock, new ones too.
      const minted = options.mint(awsNow, calls);
      const expiration = minted.expiration as Date;
      return expiration.getTime() < awsNow + options.aheadMs
        ? { ...minted, originalExpiration: expiration, expiration: new Date(awsNow + options.aheadMs + 600_000) }
        : minted;
    },
    logger: log.logger,
    describeError: (error) => ({ detail: (error as Error).message }),
    now: () => awsNow + options.aheadMs + offset,
    minRetryMs: 1_000,
    maxRetryMs: 30_000,
    ...(options.unconfirmedKeysMs !== undefined ? { unconfirmedKeysMs: options.unconfirmedKeysMs } : {}),
  });
  return {
    cache,
    log,
    advance(ms: number) {
      awsNow += ms;
    },
    /** What an S3 answer's Date header does: the SDK signs, and the cache judges, by S3's clock. */
    learnS3Clock() {
      offset = -options.aheadMs;
    },
    get calls() {
      return calls;
    },
    get awsNow() {
      return awsNow;
    },
  };
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("CredentialCache: keys that look expired by a fast host clock", () => {
  it("uses new keys that expired by the host's clock, warns once naming the clock (no secret), and judges them by S3's clock once it is known", async () => {
    // 8 h fast, 6 h keys: by the host's clock they expired 2 h ago.
    const h = fastHost({ aheadMs: 8 * HOUR, mint: (now) => creds("ASIAFAST0001", now + 6 * HOUR) });
    const first = await h.cache.get();
    expect(first.accessKeyId).toBe("ASIAFAST0001");
    expect(h.cache.expiredByHostClock()?.expiredByMs).toBe(2 * HOUR);

    const warnings = h.log.records().filter((record) => record.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/expire at \S+, 2 h 0 min before this host's clock says it is now: is the host's clock ahead \(chrony\/NTP\)\? using them; S3's answers correct the clock/);
    expect(h.log.lines.join("\n")).not.toMatch(/secret-|token-|ASIAFAST0001/);

    // The first upload's answer gives the SDK S3's clock: 6 h of life left, refreshed 5 min before.
    h.learnS3Clock();
    expect((await h.cache.get()).accessKeyId).toBe("ASIAFAST0001");
    expect(h.cache.expiredByHostClock()).toBeUndefined();
    expect(h.cache.secondsToExpiry()).toBe(6 * 3600);
    h.advance(5 * HOUR);
    await h.cache.get();
    await settle();
    expect(h.calls).toBe(1);
    expect(h.log.records().filter((record) => record.level >= 40)).toHaveLength(1);
  });

  it("bounds the unconfirmed use: past it the provider is asked again, once per while, not per request", async () => {
    const h = fastHost({ aheadMs: 8 * HOUR, mint: (now) => creds("ASIAFAST0001", now + 6 * HOUR), unconfirmedKeysMs: 60_000 });
    await h.cache.get();
    // Requests every second for ten minutes, none answered yet (S3 unreachable, say).
    for (let second = 0; second < 600; second += 1) {
      h.advance(1_000);
      expect((await h.cache.get()).accessKeyId).toBe("ASIAFAST0001");
      await settle();
    }
    // Asked again three quarters into each minute (every 45 s): 13 times, and the warning stays single.
    expect(h.calls).toBeGreaterThanOrEqual(13);
    expect(h.calls).toBeLessThanOrEqual(15);
    expect(h.log.records().filter((record) => record.level === 40)).toHaveLength(1);
  });

  it("does not take keys it already held as valid for a clock problem when they run out", async () => {
    // A right clock; IMDS keeps serving the same keys past their expiry.
    const h = fastHost({ aheadMs: 0, mint: () => creds("ASIASAME0001", 1_700_000_000_000 + 60_000) });
    await h.cache.get();
    h.advance(61_000);
    await expect(h.cache.get()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    expect(h.log.records().filter((record) => record.level === 40)).toEqual([]);
  });
});

describe("CredentialCache: keys that really have expired (a broken provider)", () => {
  it("after S3 refuses them (ExpiredToken → forceRefresh) they are never used again, and the provider is asked on the backoff, not in a loop", async () => {
    // A right clock, and a provider that hands out keys that expired an hour ago, the same ones every time.
    const h = fastHost({ aheadMs: 0, mint: (now) => creds("ASIADEAD0001", now - HOUR) });
    const keys = await h.cache.get();
    expect(keys.accessKeyId).toBe("ASIADEAD0001");
    const generation = h.cache.generation;

    // Up to four uploads were in flight with them; S3 answers each ExpiredToken.
    const renewed = await Promise.all([1, 2, 3, 4].map(() => h.cache.forceRefresh(generation)));
    expect(renewed).toEqual([false, false, false, false]);
    const afterRefusal = h.calls;
    expect(afterRefusal).toBeLessThanOrEqual(2);
    // Later refusals of requests signed before: no provider call per refusal.
    expect(await h.cache.forceRefresh(generation)).toBe(false);
    expect(h.calls).toBe(afterRefusal);

    // What the upload retrier does next: ask for keys every 100 ms for a minute.
    let handedOut = 0;
    let refusedWith = "";
    for (let at = 0; at < 60_000; at += 100) {
      h.advance(100);
      try {
        await h.cache.get();
        handedOut += 1;
      } catch (error) {
        expect(error).toBeInstanceOf(CredentialsUnavailableError);
        refusedWith = (error as Error).message;
      }
    }
    expect(handedOut).toBe(0);
    expect(refusedWith).toMatch(/credentials expired and cannot be refreshed: the credentials provider returned credentials that expired at \S+, 1 h 0 min before this host's clock says it is now, and S3 refused them/);
    // At most one attempt per 1-5 s of backoff.
    expect(h.calls - afterRefusal).toBeGreaterThanOrEqual(10);
    expect(h.calls - afterRefusal).toBeLessThanOrEqual(20);
    expect(h.log.lines.join("\n")).not.toMatch(/secret-|token-/);
  });

  it("a provider that mints new, already expired keys at every call gets one trial per set: S3's refusal of each ends it", async () => {
    const h = fastHost({ aheadMs: 0, mint: (now, call) => creds(`ASIADEAD000${call}`, now - HOUR) });
    await h.cache.get();
    expect(await h.cache.forceRefresh(h.cache.generation)).toBe(true);
    expect((await h.cache.get()).accessKeyId).toBe("ASIADEAD0002");
    expect(h.calls).toBe(2);
  });
});

describe("CredentialCache.keepFresh with keys that look expired", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("an idle daemon (no request going out) asks the provider once per unconfirmed while, not in a loop", async () => {
    let calls = 0;
    const cache = new CredentialCache({
      source: async () => {
        calls += 1;
        return creds("ASIAIDLE0001", Date.now() - 2 * HOUR);
      },
      logger: pino({ level: "silent" }),
      describeError: (error) => ({ detail: (error as Error).message }),
    });
    await cache.get();
    cache.keepFresh();
    await vi.advanceTimersByTimeAsync(3_600_000);
    cache.stopKeepingFresh();
    // Every 3.75 min (three quarters of the default 5 min): 16 in the hour, plus the first.
    expect(calls).toBeGreaterThanOrEqual(15);
    expect(calls).toBeLessThanOrEqual(18);
  });
});
