import type { z } from "zod";
import { ConfigError } from "./ConfigError.js";
import { describeValue } from "./quote.js";
import type { SourceValues } from "./ShipLogsConfig.js";

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
 * the likelier root cause).
 */
export function validateSource(
  schema: z.ZodType<SourceValues, unknown>,
  values: Readonly<Record<string, unknown>>,
  source: SourceDescription,
): SourceValues {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const issues = [...result.error.issues].sort(
    (a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"),
  );
  const [issue] = issues;
  if (issue === undefined) throw new Error("zod reported a failure without issues");
  if (issue.code === "unrecognized_keys") throw source.unknownKey(issue.keys[0] ?? "");
  const [key, index] = issue.path;
  if (typeof key !== "string") throw new Error(`zod reported an issue outside the options: ${issue.message}`);
  const item = typeof index === "number" ? index : undefined;
  throw new ConfigError(
    `${source.label(key, item)}: ${issue.message}, got ${describeValue(source.shown(key, item))}`,
    source.subject(key),
  );
}
