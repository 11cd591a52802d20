/**
 * How one option value is checked and converted, whatever source gave it.
 * ship-logs checks its dozen kinds of value itself rather than with a schema
 * library: loading one cost 7.4 MiB of RSS and ~76 ms of start-up, a third of
 * the daemon's module memory, for the small part of it the options used.
 */
export interface ValueSchema<T> {
  /** Refuses bad input by its result, never by throwing, so that the loader can name the source. */
  parse(input: unknown): ParseResult<T>;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      /** Starts with "expected", because the loader appends `, got <value>`. */
      readonly message: string;
      /** The item at fault, when the value is a list. */
      readonly index?: number;
    };

/** The value a schema gives, as the program uses it (milliseconds for a duration in seconds). */
export type ValueOf<S> = S extends ValueSchema<infer T> ? T : never;
