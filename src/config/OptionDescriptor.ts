import type { ValueSchema } from "./ValueSchema.js";

/** Where an option's value comes from when no flag, variable or config-file key gives one. */
export type Fallback =
  /** No default: loading fails without a value. */
  | { readonly kind: "required" }
  /** Resolves to `undefined`, which the consumer takes to mean `text` (e.g. "AWS" for the endpoint). */
  | { readonly kind: "absent"; readonly text: string }
  /** This text, validated like any other value. */
  | { readonly kind: "constant"; readonly raw: string }
  /** A foreign environment variable (not `SHIP_LOGS_*`), when set and non-empty; else `otherwise`. */
  | {
      readonly kind: "environment";
      readonly variable: string;
      /** Reduces the variable's text to the option value; returns undefined when nothing usable is left. */
      readonly pick?: (text: string) => string | undefined;
      /** How `pick` reads the variable, for the docs ("first path"). */
      readonly note?: string;
      readonly otherwise: Fallback;
    };

/**
 * One row of the option table. The table key is the config-file key
 * (camelCase); the flag (`--kebab-case`) and the variable (`SHIP_LOGS_UPPER_SNAKE`)
 * are derived from it (optionNames.ts).
 */
export interface OptionDescriptor<Value = unknown> {
  /** Shown after the flag (`--watch GLOB`); `null` for a switch, which takes no argument on the command line. */
  readonly metavar: string | null;
  /** One value, from any source; see optionValues.ts. */
  readonly value: ValueSchema<Value>;
  /** May be given several times on the command line, or as a list elsewhere. */
  readonly repeatable?: true;
  readonly fallback: Fallback;
  /** One line, for `--help` and the docs. */
  readonly description: string;
  /** The property name in ShipLogsConfig, when it differs from the key (a unit suffix: `flushIntervalMs`). */
  readonly field?: string;
  /** `false` for an option that cannot be set from the config file (`--config` itself). */
  readonly inFile?: false;
}

export const required = { kind: "required" } as const;

export function absent<const T extends string>(text: T) {
  return { kind: "absent", text } as const;
}

export function constant<const T extends string>(raw: T) {
  return { kind: "constant", raw } as const;
}

export function fromEnvironment<const F extends Fallback>(
  variable: string,
  otherwise: F,
  reading?: { readonly pick: (text: string) => string | undefined; readonly note: string },
) {
  return { kind: "environment", variable, otherwise, ...reading } as const;
}

/** Identity, for inference: keeps each row's literal types (repeatable, fallback kind, field) for ShipLogsConfig. */
export function defineOptions<const T extends Readonly<Record<string, OptionDescriptor>>>(options: T): T {
  return options;
}
