import type { ServedCredential } from "./ServedCredential.js";

/**
 * When a credential set gets replaced: `rotateBeforeSeconds` ahead of its Expiration (EC2 publishes new
 * keys at least five minutes early), but never more than a third of its lifetime ahead, so a short-lived
 * set (tests use seconds) is still served for two thirds of its life instead of being replaced at once.
 */
export function rotationDueAt(credential: ServedCredential, rotateBeforeSeconds: number): number {
  const expiresMs = credential.expiration.getTime();
  const lifetimeMs = expiresMs - credential.lastUpdated.getTime();
  return expiresMs - Math.min(rotateBeforeSeconds * 1000, lifetimeMs / 3);
}
