import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { CredentialCache } from "../../src/credentials/CredentialCache.js";
import type { FetchedCredentials } from "../../src/credentials/CredentialSource.js";
import { CredentialsUnavailableError } from "../../src/credentials/CredentialsUnavailableError.js";
import { refreshWindowMs } from "../../src/credentials/refreshWindow.js";

const logger = pino({ level: "silent" });

function creds(id: string, expiresAt: number, extra: Partial<FetchedCredentials> = {}): FetchedCredentials {
  return { accessKeyId: id, secretAccessKey: `secret-${id}`, sessionToken: `token-${id}`, expiration: new Date(expiresAt), ...extra };
}

/** A provider scripted call by call, with a clock the test moves. */
function harness(script: Array<(now: number) => FetchedCredentials | Error>) {
  let now = 1_000_000;
  let calls = 0;
  const cache = new CredentialCache({
    source: async () => {
      const step = script[Math.min(calls, script.length - 1)] as (n: number) => FetchedCredentials | Error;
      calls += 1;
      const result = step(now);
      if (result instanceof Error) throw result;
      return result;
    },
    logger,
    describeError: (error) => (error as Error).message,
    now: () => now,
    minRetryMs: 1_000,
    maxRetryMs: 8_000,
  });
  return {
    cache,
    advance: (ms: number) => {
      now += ms;
    },
    get now() {
      return now;
    },
    get calls() {
      return calls;
    },
  };
}

describe("refreshWindowMs", () => {
  it("is five minutes for real six-hour credentials and a quarter of short lifetimes", () => {
    expect(refreshWindowMs(6 * 3600_000)).toBe(300_000);
    expect(refreshWindowMs(15_000)).toBe(3_750);
  });
});

describe("CredentialCache", () => {
  it("serves cached credentials without calling the provider until the refresh window", async () => {
    const h = harness([(now) => creds("A", now + 60_000), (now) => creds("B", now + 60_000)]);
    expect((await h.cache.get()).accessKeyId).toBe("A");
    h.advance(40_000);
    expect((await h.cache.get()).accessKeyId).toBe("A");
    expect(h.calls).toBe(1);
    h.advance(6_000); // 14 s left: inside the 15 s window (a quarter of 60 s)
    expect((await h.cache.get()).accessKeyId).toBe("B");
    expect(h.calls).toBe(2);
  });

  it("keeps serving unexpired credentials while the provider fails, with backoff between attempts", async () => {
    const h = harness([(now) => creds("A", now + 60_000), () => new Error("IMDS down")]);
    await h.cache.get();
    h.advance(50_000);
    expect((await h.cache.get()).accessKeyId).toBe("A");
    const afterFirstFailure = h.calls;
    expect((await h.cache.get()).accessKeyId).toBe("A");
    expect(h.calls).toBe(afterFirstFailure); // no new attempt inside the backoff
    h.advance(1_500);
    await h.cache.get();
    expect(h.calls).toBe(afterFirstFailure + 1);
  });

  it("throws CredentialsUnavailableError once the cached credentials have expired", async () => {
    const h = harness([(now) => creds("A", now + 10_000), () => new Error("IMDS down")]);
    await h.cache.get();
    h.advance(10_001);
    await expect(h.cache.get()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    await expect(h.cache.get()).rejects.toThrow(/expired and cannot be refreshed: IMDS down/);
  });

  it("recovers by itself when the provider answers again", async () => {
    let down = true;
    const h = harness([
      (now) => creds("A", now + 10_000),
      (now) => (down ? new Error("IMDS down") : creds("B", now + 60_000)),
    ]);
    await h.cache.get();
    h.advance(11_000);
    await expect(h.cache.get()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    down = false;
    h.advance(10_000);
    expect((await h.cache.get()).accessKeyId).toBe("B");
  });

  it("forceRefresh fetches at once and reports whether the keys changed", async () => {
    const h = harness([(now) => creds("A", now + 600_000), (now) => creds("A", now + 600_000), (now) => creds("B", now + 600_000)]);
    await h.cache.get();
    expect(await h.cache.forceRefresh()).toBe(false);
    expect(await h.cache.forceRefresh()).toBe(true);
    expect((await h.cache.get()).accessKeyId).toBe("B");
  });

  it("forceRefresh for a request signed before the keys last changed resends on the new keys without asking the provider again", async () => {
    const h = harness([(now) => creds("A", now + 600_000), (now) => creds("B", now + 600_000), (now) => creds("B", now + 600_000)]);
    await h.cache.get();
    // Two uploads signed with A, both refused.
    const signedWith = h.cache.generation;
    expect(await h.cache.forceRefresh(signedWith)).toBe(true);
    expect(await h.cache.forceRefresh(signedWith)).toBe(true);
    expect(h.calls).toBe(2);
    expect((await h.cache.get()).accessKeyId).toBe("B");
  });

  it("treats credentials returned by the SDK's static stability as a failed refresh", async () => {
    const h = harness([
      (now) => creds("A", now + 20_000),
      (now) => creds("A", now + 600_000, { originalExpiration: new Date(now + 1_000) }),
    ]);
    await h.cache.get();
    h.advance(16_000);
    // The extended expiry is fiction: S3 will reject the key at its real one.
    expect((await h.cache.get()).accessKeyId).toBe("A");
    h.advance(4_100);
    await expect(h.cache.get()).rejects.toBeInstanceOf(CredentialsUnavailableError);
  });

  it("does not ask again on every request when IMDS has not rotated yet", async () => {
    const h = harness([(now) => creds("A", now + 60_000), () => creds("A", 1_000_000 + 60_000)]);
    await h.cache.get();
    h.advance(50_000);
    await h.cache.get();
    const calls = h.calls;
    for (let i = 0; i < 10; i += 1) await h.cache.get();
    expect(h.calls).toBe(calls);
  });

  it("coalesces concurrent refreshes into one provider call", async () => {
    const h = harness([(now) => creds("A", now + 60_000)]);
    await Promise.all(Array.from({ length: 20 }, () => h.cache.get()));
    expect(h.calls).toBe(1);
  });

  it("reports seconds to expiry", async () => {
    const h = harness([(now) => creds("A", now + 90_000)]);
    expect(h.cache.secondsToExpiry()).toBeUndefined();
    await h.cache.get();
    expect(h.cache.secondsToExpiry()).toBe(90);
  });
});
