import type { ImdsFailureKind } from "./ImdsFailure.js";

/**
 * A failed credentials provider call as the CredentialCache records it: one
 * line for the operator (free of secrets), and what went wrong at IMDS when
 * the credentials come from IMDS (absent for the chain, and for what the cache
 * judged itself: a call that hung, keys that had expired).
 */
export interface CredentialFailure {
  detail: string;
  kind?: ImdsFailureKind;
}
