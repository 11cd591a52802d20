import { ConfigError } from "./ConfigError.js";
import type { Fallback } from "./OptionDescriptor.js";
import { envName, flagName } from "./optionNames.js";
import { describeValue } from "./quote.js";
import { fieldSchema } from "./sourceSchema.js";
import { optionDescriptor, type OptionKey } from "./shipLogsOptions.js";

/**
 * The value of an option that no flag, variable or config-file key gave.
 * A value read from a foreign variable (AWS_REGION, STATE_DIRECTORY...) is
 * validated like any other, and an error names that variable.
 */
export function resolveFallback(key: OptionKey, fallback: Fallback, env: Readonly<Record<string, string | undefined>>): unknown {
  const descriptor = optionDescriptor(key);
  switch (fallback.kind) {
    case "required": {
      const flag = flagName(key);
      const fileHint = descriptor.inFile === false ? "" : `, or "${key}" in the config file`;
      throw new ConfigError(`missing required option ${flag} (or ${envName(key)}${fileHint})`, flag);
    }
    case "absent":
      return undefined;
    case "constant": {
      // The table's own defaults; the tests parse every one, so a failure here is a bug in the table.
      const result = fieldSchema(descriptor).parse(fallback.raw);
      if (!result.ok) throw new Error(`the default of ${flagName(key)} is invalid: ${result.message}`);
      return result.value;
    }
    case "environment": {
      const text = env[fallback.variable];
      const value = variableValue(fallback, env);
      if (value === undefined) return resolveFallback(key, fallback.otherwise, env);
      const result = fieldSchema(descriptor).parse(value);
      if (result.ok) return result.value;
      throw new ConfigError(
        `${fallback.variable} (the default of ${flagName(key)}): ${result.message}, got ${describeValue(text)}`,
        fallback.variable,
      );
    }
  }
}

/** What a foreign variable gives an option: its text, as `pick` reads it; undefined when unset, empty or unusable. */
export function variableValue(fallback: Extract<Fallback, { kind: "environment" }>, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const text = env[fallback.variable];
  if (text === undefined || text === "") return undefined;
  return fallback.pick === undefined ? text : fallback.pick(text);
}
