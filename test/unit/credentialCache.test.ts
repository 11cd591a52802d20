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

/** Lets a refresh that get() started without waiting for it finish. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
    describeError: (error) => ({ detail: (error as Error).message }),
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
  it("hands on the kind of the last IMDS failure with CredentialsUnavailableError, for check to choose its fix by", async () => {
    const cache = new CredentialCache({
      source: () => Promise.reject(new Error("500")),
      logger,
      describeError: () => ({ detail: "IMDS answered HTTP 500", kind: "http-error" }),
    });
    const thrown = await cache.get().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(CredentialsUnavailableError);
    expect(thrown).toMatchObject({ message: "cannot get credentials: IMDS answered HTTP 500", imdsKind: "http-error" });
  });

  it("serves cached credentials without calling the provider until the refresh window", async () => {
    const h = harness([(now) => creds("A", now + 60_000), (now) => creds("B", now + 60_000)]);
    expect((await h.cache.get()).accessKeyId).toBe("A");
    h.advance(40_000);
    expect((await h.cache.get()).accessKeyId).toBe("A");
    expect(h.calls).toBe(1);
    h.advance(6_000); // 14 s left: inside the 15 s window (a quarter of 60 s)
    // The valid keys go out while the refresh runs; the next request has the new ones.
    expect((await h.cache.get()).accessKeyId).toBe("A");
    await settle();
    expect((await h.cache.get()).accessKeyId).toBe("B");
    expect(h.calls).toBe(2);
  });

  it("does not make uploads wait for a refresh that hangs while the cached keys are valid, and gives up on it after fetchTimeoutMs", async () => {
    let now = 0;
    let calls = 0;
    const cache = new CredentialCache({
      source: () => {
        calls += 1;
        // An IMDS that takes the connection and never answers, or a hung credential_process.
        return calls === 1 ? Promise.resolve(creds("A", 60_000)) : new Promise<never>(() => undefined);
      },
      logger,
      describeError: () => ({ detail: "unused" }),
      now: () => now,
      fetchTimeoutMs: 50,
    });
    await cache.get();
    now = 50_000; // inside the window, 10 s left
    expect((await cache.get()).accessKeyId).toBe("A");
    expect(calls).toBe(2);
    now = 60_000; // expired, and the hung fetch still holds the one provider call
    await expect(cache.get()).rejects.toThrow("credentials expired and cannot be refreshed: the credentials provider did not answer within 0.05 s");
    now = 62_000; // past the retry spacing: a new attempt, not the hung one
    await expect(cache.get()).rejects.toThrow(/did not answer within/);
    expect(calls).toBe(3);
  });

  it("keeps serving unexpired credentials while the provider fails, with backoff between attempts", async () => {
    const h = harness([(now) => creds("A", now + 60_000), () => new Error("IMDS down")]);
    await h.cache.get();
    h.advance(50_000);
    expect((await h.cache.get()).accessKeyId).toBe("A");
    await settle();
    const afterFirstFailure = h.calls;
    expect((await h.cache.get()).accessKeyId).toBe("A");
    expect(h.calls).toBe(afterFirstFailure); // no new attempt inside the backoff
    h.advance(1_500);
    await h.cache.get();
    await settle();
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

  it("starts no provider call while three it gave up on are still running, and starts again once one ends", async () => {
    let now = 0;
    const hung: Array<() => void> = [];
    const said: string[] = [];
    const cache = new CredentialCache({
      source: () =>
        new Promise((_, reject) => {
          hung.push(() => reject(new Error("ended at last")));
        }),
      logger: pino({ level: "error" }, { write: (line: string) => said.push((JSON.parse(line) as { msg: string }).msg) }),
      describeError: () => ({ detail: "unused" }),
      now: () => now,
      fetchTimeoutMs: 20,
    });
    for (const at of [0, 10_000, 20_000, 30_000]) {
      now = at;
      await expect(cache.get()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    }
    expect(hung).toHaveLength(3);
    await expect(cache.get()).rejects.toThrow(/3 calls to the credentials provider that did not answer have not ended/);
    expect(said).toContain("credentials provider calls hang (a credential_process?); restarting the service ends them");
    hung[0]?.();
    await settle();
    now = 40_000;
    await expect(cache.get()).rejects.toThrow(/did not answer within/);
    expect(hung).toHaveLength(4);
  });

  it("re-asks within 30 s while IMDS has not rotated at the window, so one early fetch does not eat the margin", async () => {
    const expiry = 1_000_000 + 6 * 3600_000;
    const h = harness([(now) => (now < expiry - 295_000 ? creds("A", expiry) : creds("B", expiry + 6 * 3600_000))]);
    await h.cache.get();
    h.advance(expiry - 300_000 - h.now); // the window opens: IMDS still has the same keys
    expect((await h.cache.get()).accessKeyId).toBe("A");
    await settle();
    h.advance(8_000); // the harness's maxRetryMs; IMDS has rotated 3 s before
    await h.cache.get();
    await settle();
    expect((await h.cache.get()).accessKeyId).toBe("B");
  });

  it("never hands out keys past their Expiration, also when IMDS keeps serving the same keys to the end", async () => {
    const h = harness([() => creds("A", 1_000_000 + 10_000)]);
    await h.cache.get();
    for (const at of [7_500, 9_375, 9_900]) {
      h.advance(1_000_000 + at - h.now);
      expect((await h.cache.get()).accessKeyId).toBe("A");
      await settle();
    }
    h.advance(1_000_000 + 10_200 - h.now);
    await expect(h.cache.get()).rejects.toBeInstanceOf(CredentialsUnavailableError);
  });

  it("takes an expiry that is not a date for a failed fetch, also in a refresh nothing waits for (no unhandled rejection)", async () => {
    const h = harness([(now) => creds("A", now + 60_000), () => creds("B", Number.NaN)]);
    await h.cache.get();
    h.advance(50_000); // in the window: the refresh runs while get() hands out A
    expect((await h.cache.get()).accessKeyId).toBe("A");
    await settle();
    expect(h.cache.failedFetches).toBe(1);
    h.advance(10_001);
    await expect(h.cache.get()).rejects.toThrow("credentials expired and cannot be refreshed: the credentials provider returned an expiry that is not a date");
  });

  it("asks again for keys without an expiry only when S3 refuses them, not every 30 s", async () => {
    const h = harness([() => ({ accessKeyId: "STATIC", secretAccessKey: "s" })]);
    await h.cache.get();
    await h.cache.forceRefresh(); // S3 refused them; the chain hands back the same keys
    expect(h.calls).toBe(2);
    h.advance(3_600_000);
    await h.cache.get();
    await settle();
    expect(h.calls).toBe(2);
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
