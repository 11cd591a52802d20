/** The tokens a key template may use (`--key-template`). Dates and hours are UTC, from the batch's creation time. */
export const KEY_TOKENS = ["prefix", "instance", "region", "account", "hostname", "file", "yyyy", "mm", "dd", "hh"] as const;

export type KeyToken = (typeof KEY_TOKENS)[number];

/** Tokens whose value is the same for every key one process writes, resolved once at start. */
export type HostToken = Extract<KeyToken, "instance" | "region" | "account" | "hostname">;

export type KeyTemplatePart = { readonly kind: "text"; readonly text: string } | { readonly kind: "token"; readonly token: KeyToken };

/**
 * A parsed `--key-template`: the directory part of every object key. The
 * shipper always appends `/<source id>-<start>-<end>.log[.gz]` to it.
 */
export interface KeyTemplate {
  /** As written, for messages. */
  readonly text: string;
  readonly parts: readonly KeyTemplatePart[];
  /** The tokens it uses: only these values are looked up (e.g. IMDS for `{account}`). */
  readonly tokens: ReadonlySet<KeyToken>;
}
