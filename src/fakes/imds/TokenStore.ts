import { randomBytes } from "node:crypto";
import type { Clock } from "./Clock.js";

/**
 * Live IMDSv2 session tokens. EC2 allows any number at once, each with its own TTL, and the SDKs fetch
 * a new one for every credential refresh, so this is a map rather than a single token.
 */
export class TokenStore {
  readonly #expiresAt = new Map<string, number>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  issue(ttlSeconds: number): string {
    this.#purgeExpired();
    // Real tokens are opaque base64 of about 56 characters.
    const token = randomBytes(42).toString("base64");
    this.#expiresAt.set(token, this.#clock() + ttlSeconds * 1000);
    return token;
  }

  /** A token is dead once its TTL has fully elapsed (the same `elapsed >= TTL` test AEMM uses). */
  isValid(token: string | undefined): boolean {
    if (token === undefined) return false;
    const expiresAt = this.#expiresAt.get(token);
    return expiresAt !== undefined && this.#clock() < expiresAt;
  }

  #purgeExpired(): void {
    const now = this.#clock();
    for (const [token, expiresAt] of this.#expiresAt) {
      if (now >= expiresAt) this.#expiresAt.delete(token);
    }
  }
}
