import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CredentialCache } from "../../src/credentials/CredentialCache.js";

describe("CredentialCache.keepFresh", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function cache(fail: () => boolean = () => false) {
    const fetchedAt: number[] = [];
    const credentials = new CredentialCache({
      source: async () => {
        fetchedAt.push(Date.now());
        if (fail()) throw new Error("IMDS down");
        return { accessKeyId: `K${fetchedAt.length}`, secretAccessKey: "s", sessionToken: "t", expiration: new Date(Date.now() + 60_000) };
      },
      logger: pino({ level: "silent" }),
      describeError: (error) => ({ detail: (error as Error).message }),
    });
    return { credentials, fetchedAt };
  }

  it("refreshes when the window opens although nothing asks, so an idle host never holds expired keys", async () => {
    const { credentials, fetchedAt } = cache();
    await credentials.get();
    credentials.keepFresh();
    // 60 s keys: the window is the last 15 s.
    await vi.advanceTimersByTimeAsync(44_000);
    expect(fetchedAt).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fetchedAt).toEqual([1_000_000, 1_045_000]);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(fetchedAt.length).toBeGreaterThanOrEqual(13);
    expect(credentials.secondsToExpiry()).toBeGreaterThan(0);
    credentials.stopKeepingFresh();
  });

  it("retries on its backoff while the provider fails, and stops when told to", async () => {
    let down = true;
    const { credentials, fetchedAt } = cache(() => down);
    credentials.keepFresh();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(20_000);
    // Attempts at 0, 1, 3, 7, 12, 17 s: doubling, at most 5 s apart while nothing valid is held.
    expect(fetchedAt.map((at) => at - 1_000_000)).toEqual([0, 1_000, 3_000, 7_000, 12_000, 17_000]);
    down = false;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(credentials.secondsToExpiry()).toBe(57);
    credentials.stopKeepingFresh();
    const attempts = fetchedAt.length;
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(fetchedAt).toHaveLength(attempts);
  });
});
