import type { OptionDescriptor } from "./OptionDescriptor.js";
import { OPTION_KEYS, optionDescriptor, type OptionKey } from "./shipLogsOptions.js";
import type { ValueSchema } from "./ValueSchema.js";

/**
 * The options one source may set, each with its schema, in table order: the
 * order its values are checked in, so that the first bad one is reported.
 */
export type SourceSchema = ReadonlyMap<string, ValueSchema<unknown>>;

/**
 * The schema of one option as any source gives it. A repeatable option takes one
 * value or a list (`watch: /a.log` or `watch: [/a.log, /b.log]` in the file;
 * flags and variables always give a list).
 */
export function fieldSchema(descriptor: OptionDescriptor): ValueSchema<unknown> {
  if (descriptor.repeatable !== true) return descriptor.value;
  return listSchema(descriptor.value, descriptor.metavar ?? "value");
}

/** A non-empty list of `item`s; a failure names the first bad item by its index. */
function listSchema<T>(item: ValueSchema<T>, what: string): ValueSchema<readonly T[]> {
  return {
    parse(input) {
      const given = typeof input === "string" ? [input] : input;
      if (!Array.isArray(given)) return { ok: false, message: `expected a ${what} or a list of them` };
      const items: readonly unknown[] = given;
      if (items.length === 0) return { ok: false, message: `expected at least one ${what}` };
      const values: T[] = [];
      for (const [index, element] of items.entries()) {
        const result = item.parse(element);
        if (!result.ok) return { ok: false, message: result.message, index };
        values.push(result.value);
      }
      return { ok: true, value: values };
    },
  };
}

function sourceSchema(keys: readonly OptionKey[]): SourceSchema {
  return new Map(keys.map((key) => [key, fieldSchema(optionDescriptor(key))]));
}

/** Flags and variables: every option (their readers have already refused unknown names). */
export const OPTIONS_SCHEMA = sourceSchema(OPTION_KEYS);

/** The config file: unknown keys are errors, and so are the options that cannot be set there (`config`). */
export const CONFIG_FILE_SCHEMA = sourceSchema(OPTION_KEYS.filter((key) => optionDescriptor(key).inFile !== false));
