import type { CredentialAuthority } from "../CredentialAuthority.js";
import type { ServedCredential } from "./ServedCredential.js";

/**
 * Every credential set the fake has issued, newest last. Old sets are kept (and stay valid until
 * their own Expiration) because real clients go on signing with them until they refresh.
 */
export class CredentialRegistry implements CredentialAuthority {
  readonly #issued: ServedCredential[] = [];

  get current(): ServedCredential | undefined {
    return this.#issued.at(-1);
  }

  get all(): readonly ServedCredential[] {
    return this.#issued;
  }

  add(credential: ServedCredential): ServedCredential {
    this.#issued.push(credential);
    return credential;
  }

  /** Marks every set with this key revoked; returns whether the current set was among them. */
  revoke(accessKeyId: string): boolean {
    for (const credential of this.#issued) {
      if (credential.accessKeyId === accessKeyId) credential.revoked = true;
    }
    return this.current?.accessKeyId === accessKeyId;
  }

  /** The newest set with this key: a source of long-term keys hands out the same key repeatedly. */
  lookup(accessKeyId: string): ServedCredential | undefined {
    return this.#issued.findLast((credential) => credential.accessKeyId === accessKeyId);
  }
}
