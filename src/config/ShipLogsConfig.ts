import type { Fallback } from "./OptionDescriptor.js";
import type { OptionKey, ShipLogsOptions } from "./shipLogsOptions.js";
import type { ValueOf } from "./ValueSchema.js";

/** One value of option K as its schema outputs it (milliseconds for `flushInterval`). */
export type OptionValue<K extends OptionKey> = ValueOf<ShipLogsOptions[K]["value"]>;

/** What one source gives for option K: a list for a repeatable option. */
export type SourceValue<K extends OptionKey> = ShipLogsOptions[K] extends { readonly repeatable: true }
  ? readonly OptionValue<K>[]
  : OptionValue<K>;

/** Every option one source (flags, environment or config file) gave, validated. */
export type SourceValues = { readonly [K in OptionKey]?: SourceValue<K> | undefined };

type FieldOf<K extends OptionKey> = ShipLogsOptions[K] extends { readonly field: infer F extends string } ? F : K;

type MayBeAbsent<F extends Fallback> = F extends { readonly kind: "absent" }
  ? true
  : F extends { readonly kind: "environment"; readonly otherwise: infer O extends Fallback }
    ? MayBeAbsent<O>
    : false;

type Resolved<K extends OptionKey> =
  | SourceValue<K>
  | (MayBeAbsent<ShipLogsOptions[K]["fallback"]> extends true ? undefined : never);

type ResolvedOptions = { readonly [K in OptionKey as FieldOf<K>]: Resolved<K> };

/**
 * The resolved configuration, derived from the option table so that a new row
 * is a new field. `undefined` means "not configured": `endpoint` (use AWS),
 * `region` (ask IMDS), `configFile` (none was given).
 */
// An interface, not the alias, so editors and errors show the name.
export interface ShipLogsConfig extends ResolvedOptions {}
