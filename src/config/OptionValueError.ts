import { ConfigError } from "./ConfigError.js";
import type { OptionNamer } from "./OptionNamer.js";
import { printable } from "./quote.js";
import type { OptionKey } from "./shipLogsOptions.js";

/**
 * A value that loaded fine but that the system refused when it was put to
 * use (a state dir that is a file, a port this user may not bind): exit 2,
 * like any configuration error. Thrown where the value is used, which does
 * not know where it came from; the CLI names it as the operator gave it
 * (`named`), so that under systemd the line points at the variable or the
 * file key, not at a flag nobody typed.
 */
export class OptionValueError extends Error {
  override readonly name = "OptionValueError";

  constructor(
    readonly key: OptionKey,
    readonly value: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${key} ${value}: ${problem}`, options);
  }

  named(nameOf: OptionNamer): ConfigError {
    const { text, subject } = nameOf(this.key);
    return new ConfigError(`${text} ${printable(this.value)}: ${this.problem}`, subject, { cause: this });
  }
}
