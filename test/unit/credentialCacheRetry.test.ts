import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { CredentialCache } from "../../src/credentials/CredentialCache.js";
import { CredentialsUnavailableError } from "../../src/credentials/CredentialsUnavailableError.js";

/**
 * When the cache asks the provider again during an outage. The times are those of the e2e
 * outage tests: 40 s credentials (refresh window 10 s), IMDS back 2 s before the expiry.
 */
function outage(options: { lifetimeMs: number; downUntil: number }) {
  let now = 0;
  const attempts: number[] = [];
  const cache = new CredentialCache({
    source: async () => {
      attempts.push(now);
      if (attempts.length > 1 && now < options.downUntil) throw new Error("IMDS down");
      return { accessKeyId: `K${attempts.length}`, secretAccessKey: "s", sessionToken: "t", expiration: new Date(now + options.lifetimeMs) };
    },
    logger: pino({ level: "silent" }),
    describeError: (error) => ({ detail: (error as Error).message }),
    now: () => now,
  });
  /** Uploads ask for credentials every 100 ms until `until`. */
  const run = async (until: number): Promise<{ unavailableAt: number[] }> => {
    const unavailableAt: number[] = [];
    for (; now <= until; now += 100) {
      try {
        await cache.get();
      } catch (error) {
        if (!(error instanceof CredentialsUnavailableError)) throw error;
        unavailableAt.push(now);
      }
    }
    return { unavailableAt };
  };
  return { cache, attempts, run };
}

describe("CredentialCache retries during an outage", () => {
  it("never lets the backoff jump past the expiry of valid keys: renews in the 2 s after IMDS is back", async () => {
    // Window opens at 30 s; IMDS is down until 38 s; the keys expire at 40 s.
    const o = outage({ lifetimeMs: 40_000, downUntil: 38_000 });
    const { unavailableAt } = await o.run(45_000);
    expect(unavailableAt).toEqual([]);
    expect((await o.cache.get()).accessKeyId).not.toBe("K1");
    // Attempts at 30, 31, 33, 36.5 (half of the 7 s left), 38.25; plain doubling would go 37, 45.
    expect(o.attempts.filter((at) => at >= 30_000 && at < 38_000).length).toBeLessThanOrEqual(5);
  });

  it("once the keys have expired, tries again at least every 5 s, so uploads resume within seconds of IMDS coming back", async () => {
    const o = outage({ lifetimeMs: 20_000, downUntil: 120_000 });
    await o.run(120_000);
    const late = o.attempts.filter((at) => at > 40_000);
    const gaps = late.slice(1).map((at, index) => at - (late[index] as number));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(5_000);
    // Resumes by itself: the first request after IMDS is back, or one within 5 s, has keys.
    const { unavailableAt } = await o.run(126_000);
    expect(unavailableAt.every((at) => at < 125_100)).toBe(true);
  });
});
