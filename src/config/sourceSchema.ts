import { z } from "zod";
import type { OptionDescriptor } from "./OptionDescriptor.js";
import type { SourceValues } from "./ShipLogsConfig.js";
import { OPTION_KEYS, optionDescriptor, type OptionKey } from "./shipLogsOptions.js";

/**
 * The schema of one option as any source gives it. A repeatable option takes one
 * value or a list (`watch: /a.log` or `watch: [/a.log, /b.log]` in the file;
 * flags and variables always give a list).
 */
export function fieldSchema(descriptor: OptionDescriptor): z.ZodType {
  if (descriptor.repeatable !== true) return descriptor.value;
  const what = descriptor.metavar ?? "value";
  return z.preprocess(
    (value) => (typeof value === "string" ? [value] : value),
    z
      .array(descriptor.value, { error: `expected a ${what} or a list of them` })
      .min(1, { error: `expected at least one ${what}` }),
  );
}

function strictSchema(keys: readonly OptionKey[]): z.ZodType<SourceValues, unknown> {
  const shape = Object.fromEntries(
    keys.map((key) => [key, fieldSchema(optionDescriptor(key)).optional()]),
  );
  // The shape is built from the table at run time; SourceValues is the same
  // table seen by the type checker, and the tests hold the two together.
  return z.strictObject(shape) as unknown as z.ZodType<SourceValues, unknown>;
}

/** Flags and variables: every option (their readers have already refused unknown names). */
export const OPTIONS_SCHEMA = strictSchema(OPTION_KEYS);

/** The config file: unknown keys are errors, and so are the options that cannot be set there (`config`). */
export const CONFIG_FILE_SCHEMA = strictSchema(OPTION_KEYS.filter((key) => optionDescriptor(key).inFile !== false));
