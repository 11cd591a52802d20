import { constants } from "node:buffer";
import { KEY_LAYOUTS } from "../sink/keyLayouts.js";
import { longestKeyBytes, MAX_KEY_BYTES } from "../sink/objectKey.js";
import { parseKeyTemplate } from "../sink/parseKeyTemplate.js";
import { ConfigError } from "./ConfigError.js";
import type { ShipLogsConfig } from "./ShipLogsConfig.js";

/**
 * Without compression a batch is read into one buffer, whole: at most what
 * Node.js holds in one (4 GiB on Node 20; more on later releases, which the
 * same configuration must not depend on).
 */
const UNCOMPRESSED_MAX_BATCH_BYTES = Math.min(constants.MAX_LENGTH, 4 * 1024 * 1024 * 1024);

/**
 * Options each valid alone that cannot work together: refused at start, as a
 * configuration error, instead of failing every upload later.
 */
export function checkCombinations(config: ShipLogsConfig): void {
  if (config.sseKmsKeyId !== undefined && config.sse === "AES256") {
    throw new ConfigError("--sse-kms-key-id needs --sse aws:kms (or no --sse); S3 refuses a KMS key with --sse AES256", "--sse-kms-key-id");
  }
  if (config.keyTemplate?.startsWith("{prefix}/") === true && (config.prefix === "" || config.prefix.endsWith("/"))) {
    // S3 takes "/i-0abc/..." and "logs//i-0abc/...", but tools that map keys
    // to paths, and Athena's LOCATION, trip over the empty segment.
    throw new ConfigError(
      `--key-template "${config.keyTemplate}" puts a "/" after {prefix}, and --prefix "${config.prefix}" ${config.prefix === "" ? "is empty" : "ends in one"}: every key would hold an empty segment; drop one of the two`,
      "--key-template",
    );
  }
  const longest = longestKeyBytes(parseKeyTemplate(config.keyTemplate ?? KEY_LAYOUTS[config.keyLayout]), config.prefix);
  if (longest > MAX_KEY_BYTES) {
    throw new ConfigError(
      `${config.keyTemplate === undefined ? "--prefix" : "--prefix with --key-template"} makes keys of up to ${longest} bytes (for a file name of 255), over S3's limit of ${MAX_KEY_BYTES}: shorten it`,
      "--prefix",
    );
  }
  if (config.compression === "none" && config.batchMaxBytes > UNCOMPRESSED_MAX_BATCH_BYTES) {
    throw new ConfigError(
      `--batch-max-bytes ${config.batchMaxBytes} is too large for --compression none, which holds a batch whole in one buffer: at most ${UNCOMPRESSED_MAX_BATCH_BYTES}, or compress`,
      "--batch-max-bytes",
    );
  }
}
