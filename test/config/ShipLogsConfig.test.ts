import type { LevelWithSilent } from "pino";
import { describe, expect, expectTypeOf, it } from "vitest";
import { loadConfig, type ShipLogsConfig } from "../../src/config/index.js";
import type { LoadResult } from "../../src/config/loadConfig.js";
import type { LogLevel } from "../../src/config/logLevels.js";

/** The contract the rest of ship-logs codes against, written out by hand. */
interface ExpectedConfig {
  readonly watch: readonly string[];
  readonly bucket: string;
  readonly prefix: string;
  readonly stateDir: string;
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
  readonly imdsEndpoint: string;
  readonly credentials: "imds" | "chain";
  readonly flushIntervalMs: number;
  readonly batchMaxBytes: number;
  readonly compression: "gzip" | "none";
  readonly compressionLevel: number;
  readonly keyLayout: "default" | "hive";
  readonly keyTemplate: string | undefined;
  readonly once: boolean;
  readonly logLevel: LogLevel;
  readonly stopTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly flushOnRebalance: boolean;
  readonly expectedBucketOwner: string | undefined;
  readonly sse: "AES256" | "aws:kms" | undefined;
  readonly sseKmsKeyId: string | undefined;
  readonly storageClass:
    | "STANDARD"
    | "STANDARD_IA"
    | "ONEZONE_IA"
    | "INTELLIGENT_TIERING"
    | "GLACIER_IR"
    | "GLACIER"
    | "DEEP_ARCHIVE"
    | "REDUCED_REDUNDANCY"
    | undefined;
  readonly checksum: "when-supported" | "when-required";
  readonly metricsListen: string | undefined;
  readonly json: boolean;
  readonly configFile: string | undefined;
}

describe("ShipLogsConfig", () => {
  it("is derived from the option table as exactly the documented shape", () => {
    // Checked by `tsc -p test/tsconfig.json`.
    expectTypeOf<ShipLogsConfig>().toEqualTypeOf<ExpectedConfig>();
    expectTypeOf<LogLevel>().toEqualTypeOf<LevelWithSilent>();
    expectTypeOf<Extract<LoadResult, { kind: "run" }>["command"]>().toEqualTypeOf<"run" | "check" | "status">();
  });

  it("has at run time exactly the fields of the type, defaults filled in", async () => {
    const result = await loadConfig(["--watch", "/var/log/*.log", "--bucket", "logs"], {});
    const expected: ExpectedConfig = {
      watch: ["/var/log/*.log"],
      bucket: "logs",
      prefix: "",
      stateDir: "/var/lib/ship-logs",
      endpoint: undefined,
      region: undefined,
      imdsEndpoint: "http://169.254.169.254",
      credentials: "imds",
      flushIntervalMs: 60_000,
      batchMaxBytes: 8_388_608,
      compression: "gzip",
      compressionLevel: 6,
      keyLayout: "default",
      keyTemplate: undefined,
      once: false,
      logLevel: "info",
      stopTimeoutMs: 30_000,
      requestTimeoutMs: 30_000,
      flushOnRebalance: false,
      expectedBucketOwner: undefined,
      sse: undefined,
      sseKmsKeyId: undefined,
      storageClass: undefined,
      checksum: "when-supported",
      metricsListen: undefined,
      json: false,
      configFile: undefined,
    };
    expect(result).toStrictEqual({ kind: "run", command: "run", nameOf: expect.any(Function), config: expected });
  });
});
