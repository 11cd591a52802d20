import { ConfigError } from "./ConfigError.js";
import { describeValue } from "./quote.js";
import type { SourceValues } from "./ShipLogsConfig.js";
import type { SourceSchema } from "./sourceSchema.js";

/** How one source names its options and values in error messages. */
export interface SourceDescription {
  /** `--bucket`, `SHIP_LOGS_BUCKET`, `config file /etc/x.yaml: bucket`; `index` picks one item of a list. */
  label(key: string, index: number | undefined): string;
  /** The offending name as the user wrote it (ConfigError.subject). */
  subject(key: string): string;
  /** The value to show after "got": what the user wrote, before any splitting. */
  shown(key: string, index: number | undefined): unknown;
  /** The error for a key the schema does not know. */
  unknownKey(key: string): ConfigError;
}

/**
 * Validates every value one source gives, whether or not a higher source
 * overrides it: a broken value is reported where it is, not only once it wins.
 * Reports the first problem, unknown keys before bad values (a misspelt key is
 * the likelier root cause); bad values in the schema's (table) order.
 */
export function validateSource(
  schema: SourceSchema,
  values: Readonly<Record<string, unknown>>,
  source: SourceDescription,
): SourceValues {
  const unknownKey = Object.keys(values).find((key) => !schema.has(key));
  if (unknownKey !== undefined) throw source.unknownKey(unknownKey);
  const valid: Record<string, unknown> = {};
  for (const [key, field] of schema) {
    const given = values[key];
    if (given === undefined) continue;
    const result = field.parse(given);
    if (!result.ok) {
      throw new ConfigError(
        `${source.label(key, result.index)}: ${result.message}, got ${describeValue(source.shown(key, result.index))}`,
        source.subject(key),
      );
    }
    valid[key] = result.value;
  }
  // Each value passed its own option's schema; SourceValues is the same table
  // seen by the type checker, and the tests hold the two together.
  return valid as SourceValues;
}
