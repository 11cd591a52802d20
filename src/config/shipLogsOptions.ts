import { bucketNameValue } from "./bucketNameValue.js";
import { LOG_LEVELS } from "./logLevels.js";
import { absent, constant, defineOptions, fromEnvironment, required, type OptionDescriptor } from "./OptionDescriptor.js";
import {
  accountIdValue,
  byteSizeValue,
  choiceValue,
  globValue,
  httpUrlValue,
  imdsEndpointValue,
  integerValue,
  keyPrefixValue,
  keyTemplateValue,
  kmsKeyIdValue,
  listenAddressValue,
  pathValue,
  regionValue,
  secondsValue,
  switchValue,
} from "./optionValues.js";

/** Longest settable interval: a day, well inside setTimeout's range. */
const MAX_SECONDS = 86_400;
const GIB = 1024 ** 3;

/**
 * systemd's StateDirectory= may list several directories, colon-separated, in
 * STATE_DIRECTORY; ship-logs keeps its state in the first.
 */
function firstPath(text: string): string | undefined {
  return text.split(":").find((path) => path !== "");
}

/**
 * THE option table: every `ship-logs` option, once. Flags, environment
 * variables, config-file keys, validation, defaults, `--help` and the docs
 * table are all derived from it; adding an option is adding a row.
 */
export const SHIP_LOGS_OPTIONS = defineOptions({
  watch: {
    metavar: "GLOB",
    value: globValue(),
    repeatable: true,
    fallback: required,
    description: "files to ship; new files that match later are picked up; a glob descends at most 32 directory levels below its base",
  },
  bucket: { metavar: "NAME", value: bucketNameValue(), fallback: required, description: "target bucket" },
  prefix: { metavar: "P", value: keyPrefixValue(), fallback: constant(""), description: "key prefix" },
  stateDir: {
    metavar: "DIR",
    value: pathValue(),
    fallback: fromEnvironment("STATE_DIRECTORY", constant("/var/lib/ship-logs"), { pick: firstPath, note: "its first path" }),
    description: "checkpoints and spool",
  },
  endpoint: {
    metavar: "URL",
    value: httpUrlValue(),
    fallback: absent("AWS"),
    description: "S3-compatible endpoint (path-style addressing)",
  },
  region: {
    metavar: "R",
    value: regionValue(),
    fallback: fromEnvironment("AWS_REGION", absent("IMDS placement/region")),
    description: "signing region",
  },
  imdsEndpoint: {
    metavar: "URL",
    value: imdsEndpointValue(),
    fallback: fromEnvironment("AWS_EC2_METADATA_SERVICE_ENDPOINT", constant("http://169.254.169.254")),
    description: "instance metadata endpoint, http://host[:port]",
  },
  credentials: {
    ...choiceValue(["imds", "chain"]),
    fallback: constant("imds"),
    description: "imds: instance profile via IMDSv2 only; chain: the AWS SDK's default chain",
  },
  flushInterval: {
    metavar: "SECONDS",
    value: secondsValue(MAX_SECONDS),
    field: "flushIntervalMs",
    fallback: constant("60"),
    description: "longest a line waits before its batch is uploaded (each upload is a billed PUT)",
  },
  batchMaxBytes: {
    metavar: "N",
    value: byteSizeValue(1024, 5 * GIB, "5 GiB"),
    fallback: constant("8388608"),
    description: "upload a batch once it holds this many bytes, before compression (8MiB style suffixes allowed)",
  },
  compression: { ...choiceValue(["gzip", "none"]), fallback: constant("gzip"), description: "object encoding" },
  compressionLevel: {
    metavar: "1-9",
    value: integerValue(1, 9),
    fallback: constant("6"),
    description: "gzip level: 1 fastest, 9 smallest",
  },
  keyLayout: {
    ...choiceValue(["default", "hive"]),
    fallback: constant("default"),
    description: "a predefined --key-template; hive: PREFIX dt=YYYY-MM-DD/instance=ID/file=NAME/... (Athena partitions)",
  },
  keyTemplate: {
    metavar: "TEMPLATE",
    value: keyTemplateValue(),
    fallback: absent("the --key-layout template"),
    description:
      "where keys go, e.g. {prefix}{region}/{instance}/{yyyy}/{mm}/{dd}/{hh}/{file}: starts with {prefix}, holds {instance} or {hostname}; /SOURCEID-START-END.log.gz is always appended",
  },
  once: {
    metavar: null,
    value: switchValue(),
    fallback: constant("false"),
    description: "ship every complete line up to each file's current end, then exit",
  },
  logLevel: {
    ...choiceValue(LOG_LEVELS),
    metavar: "LEVEL",
    fallback: constant("info"),
    description: `log level: ${LOG_LEVELS.join(", ")}`,
  },
  stopTimeout: {
    metavar: "SECONDS",
    value: secondsValue(MAX_SECONDS),
    field: "stopTimeoutMs",
    fallback: constant("30"),
    description: "longest the final upload may take after SIGTERM/SIGINT",
  },
  requestTimeout: {
    metavar: "SECONDS",
    value: secondsValue(MAX_SECONDS),
    field: "requestTimeoutMs",
    fallback: constant("30"),
    description: "an S3 request that makes no progress this long is abandoned and retried",
  },
  flushOnRebalance: {
    metavar: null,
    value: switchValue(),
    fallback: constant("false"),
    description: "treat an EC2 rebalance recommendation like a termination notice: upload everything at once",
  },
  expectedBucketOwner: {
    metavar: "ACCOUNT",
    value: accountIdValue(),
    fallback: absent("not checked"),
    description: "account that must own the bucket; sent with every upload (S3 refuses otherwise)",
  },
  sse: {
    ...choiceValue(["AES256", "aws:kms"]),
    fallback: absent("the bucket's default"),
    description: "server-side encryption requested on every upload",
  },
  sseKmsKeyId: {
    metavar: "KEY",
    value: kmsKeyIdValue(),
    fallback: absent("the AWS managed key"),
    description: "KMS key id or ARN for SSE-KMS (implies --sse aws:kms)",
  },
  storageClass: {
    ...choiceValue(["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"]),
    metavar: "CLASS",
    fallback: absent("STANDARD"),
    description: "S3 storage class of the objects",
  },
  checksum: {
    ...choiceValue(["when-supported", "when-required"]),
    fallback: constant("when-supported"),
    description: "when-supported: the SDK's CRC32 on every upload (AWS); when-required: none, for S3-compatible stores that reject it",
  },
  metricsListen: {
    metavar: "HOST:PORT",
    value: listenAddressValue(),
    fallback: absent("off"),
    description: "serve Prometheus metrics, /healthz and /readyz here (use a loopback address unless it must be reachable)",
  },
  json: {
    metavar: null,
    value: switchValue(),
    fallback: constant("false"),
    description: "status and check: print JSON instead of text",
  },
  config: {
    metavar: "FILE",
    value: pathValue(),
    field: "configFile",
    inFile: false,
    fallback: absent("none"),
    description: "config file: JSON if it ends in .json, else YAML; camelCase keys",
  },
});

export type ShipLogsOptions = typeof SHIP_LOGS_OPTIONS;
export type OptionKey = keyof ShipLogsOptions & string;

/** The table's keys in table order: the order of `--help`, the docs and the checks. */
export const OPTION_KEYS = Object.keys(SHIP_LOGS_OPTIONS) as OptionKey[];

/** A row seen through the common descriptor type, for code that treats every option alike. */
export function optionDescriptor(key: OptionKey): OptionDescriptor {
  return SHIP_LOGS_OPTIONS[key];
}

/** Flags that are actions rather than settings: they have no variable or config-file key. */
export const ACTION_FLAGS = [
  { flag: "--help", alias: "-h", description: "print this help and exit" },
  { flag: "--version", alias: undefined, description: "print the version and exit" },
] as const;

/** The first positional argument; `run` when there is none. */
export const COMMANDS = {
  run: "tail the watched files and ship their lines until stopped (the default)",
  check: "validate the configuration, credentials and bucket access, then exit",
  status: "report each watched file's shipped and pending bytes, then exit",
} as const;

export type Command = keyof typeof COMMANDS;
