import { constants } from "node:buffer";
import { KEY_LAYOUTS } from "../sink/keyLayouts.js";
import { keyPrefixProblem } from "../sink/keyPrefixProblem.js";
import { longestKeyBytes, MAX_KEY_BYTES } from "../sink/objectKey.js";
import { parseKeyTemplate } from "../sink/parseKeyTemplate.js";
import { ConfigError } from "./ConfigError.js";
import type { OptionNamer } from "./OptionNamer.js";
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
 *
 * @param nameOf names each option where it was given, which may differ per option
 */
export function checkCombinations(config: ShipLogsConfig, nameOf: OptionNamer): void {
  if (config.sseKmsKeyId !== undefined && config.sse === "AES256") {
    const kms = nameOf("sseKmsKeyId");
    throw new ConfigError(
      `${kms.text} needs ${nameOf("sse").text} to be aws:kms or unset, not AES256: S3 refuses a KMS key with AES256`,
      kms.subject,
    );
  }
  if (config.keyTemplate?.startsWith("{prefix}/") === true && keyPrefixProblem(`${config.prefix}/`) !== undefined) {
    // The "/" makes the prefix's last part a segment of its own. S3 takes
    // "/i-0abc/...", "logs//i-0abc/..." and "../i-0abc/...", but tools that
    // map keys to paths, and Athena's LOCATION, trip over them.
    const named = nameOf("keyTemplate");
    const why = config.prefix === "" ? "is empty" : config.prefix.endsWith("/") ? "ends in one" : 'ends in a "." or ".." segment';
    throw new ConfigError(
      `${named.text} "${config.keyTemplate}" puts a "/" after {prefix}, and ${nameOf("prefix").text} "${config.prefix}" ${why}: every key would hold ${config.prefix === "" || config.prefix.endsWith("/") ? "an empty segment" : "that segment"}; drop one of the two`,
      named.subject,
    );
  }
  const template = parseKeyTemplate(config.keyTemplate ?? KEY_LAYOUTS[config.keyLayout]);
  const longest = longestKeyBytes(template, config.prefix);
  if (longest > MAX_KEY_BYTES) {
    // A template too long without any prefix is the template's fault, not the prefix's.
    const culprit = config.keyTemplate !== undefined && longestKeyBytes(template, "") > MAX_KEY_BYTES ? nameOf("keyTemplate") : nameOf("prefix");
    const what = config.keyTemplate === undefined ? culprit.text : `${nameOf("prefix").text} with ${nameOf("keyTemplate").text}`;
    throw new ConfigError(
      `${what} makes keys of up to ${longest} bytes (for a file name of 255), over S3's limit of ${MAX_KEY_BYTES}: shorten it`,
      culprit.subject,
    );
  }
  if (config.compression === "none" && config.batchMaxBytes > UNCOMPRESSED_MAX_BATCH_BYTES) {
    const batch = nameOf("batchMaxBytes");
    throw new ConfigError(
      `${batch.text} is ${config.batchMaxBytes}: too large with ${nameOf("compression").text} none, which holds a batch whole in one buffer: at most ${UNCOMPRESSED_MAX_BATCH_BYTES}, or compress`,
      batch.subject,
    );
  }
}
