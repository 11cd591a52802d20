import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { hasTool } from "../support/systemTool.js";
import { loadConfig } from "../../src/config/index.js";
import { lastValue, parseTimeSpanSeconds, readUnitFile, type UnitDirectives } from "./readUnitFile.js";

const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const UNIT_PATH = join(REPO, "systemd/ship-logs.service");
const CLI = join(REPO, "dist/cli/bin.cjs");

/**
 * `systemd-analyze security` of the unit as shipped: measured 1.1 ("OK") with
 * systemd 252 (Debian 12). A little slack for scoring changes between
 * versions; EXPECTED_EXPOSURES below is the precise guard.
 */
const MAX_EXPOSURE = 1.3;

/** The checks a network log shipper cannot pass, and why. Any other failing check fails the test. */
const EXPECTED_EXPOSURES: Readonly<Record<string, string>> = {
  PrivateNetwork: "it talks to IMDS and S3",
  RestrictAddressFamilies_AF_INET_INET6: "IMDS and S3 are reached over IP",
  RestrictAddressFamilies_AF_UNIX: "the journal and name resolution are unix sockets",
  IPAddressDeny: "S3's public addresses are many and change; pin them with a VPC endpoint instead",
  MemoryDenyWriteExecute: "V8's JIT needs writable+executable memory",
  SupplementaryGroups: "adm is what lets it read /var/log",
  RootDirectoryOrRootImage: "it reads the host's logs and runs the host's node",
  DeviceAllow: "ProtectClock= itself allows reading the RTC",
};

const HAS_ANALYZE = hasTool("systemd-analyze", "apt-get install systemd");

async function analyze(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run("systemd-analyze", args, { encoding: "utf8" });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error; // e.g. ENOENT: systemd-analyze is not installed
    return { code: failed.code, output: (failed.stdout ?? "") + (failed.stderr ?? "") };
  }
}

/**
 * `systemd-analyze verify` problems with a copy of `text` as `ship-logs.service`.
 * verify exits 0 for many problems (a bad value is "ignoring"), so any line of
 * output counts, except about other units' files on this host.
 */
async function verifyProblems(dir: string, text: string): Promise<string[]> {
  const path = join(dir, "ship-logs.service");
  await writeFile(path, text);
  const { code, output } = await analyze("verify", path);
  const lines = output.split("\n").filter((line) => line.trim() !== "");
  const ours = lines.filter((line) => !/^\/(usr\/)?lib\/systemd\/|^\/etc\/systemd\//.test(line));
  return code === 0 ? ours : [`exit ${code}`, ...ours];
}

/**
 * The unit with ExecStart's program replaced by this node running the built
 * CLI, arguments kept: verify rejects an ExecStart whose program does not exist,
 * and `ship-logs` is not installed on the machine that runs the tests.
 */
function withRunnableExecStart(text: string): string {
  return text.replace(/^ExecStart=\/usr\/bin\/env ship-logs /m, `ExecStart=${process.execPath} ${CLI} `);
}

let unitText: string;
let unit: UnitDirectives;
let scratch: string;

beforeAll(async () => {
  unitText = await readFile(UNIT_PATH, "utf8");
  unit = readUnitFile(unitText);
  scratch = await mkdtemp(join(tmpdir(), "ship-logs-unit-"));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("systemd/ship-logs.service", () => {
  const service = (key: string): string | undefined => lastValue(unit, "Service", key);

  test("runs the installed bin with the packaged config path, state in StateDirectory, logs in the journal", () => {
    expect(service("ExecStart")).toBe("/usr/bin/env ship-logs --config /etc/ship-logs/config.yaml");
    expect(service("Type")).toBe("exec");
    expect(service("EnvironmentFile")).toBe("-/etc/default/ship-logs");
    // --state-dir defaults to $STATE_DIRECTORY, which this sets.
    expect(service("StateDirectory")).toBe("ship-logs");
    expect(service("StandardOutput")).toBe("journal");
    expect(service("Restart")).toBe("on-failure");
    expect(service("RestartPreventExitStatus")).toBe("2 126 127");
    expect(lastValue(unit, "Install", "WantedBy")).toBe("multi-user.target");
  });

  test("gives the flush on stop more time than its own bound before SIGKILL", async () => {
    const loaded = await loadConfig(["--watch", "/var/log/x", "--bucket", "bucket-name"], {});
    if (loaded.kind !== "run") throw new Error(`unexpected ${loaded.kind}`);
    const stopTimeoutSeconds = loaded.config.stopTimeoutMs / 1000;
    const timeoutStopSec = parseTimeSpanSeconds(service("TimeoutStopSec") ?? "90");
    expect(timeoutStopSec).toBeGreaterThanOrEqual(stopTimeoutSeconds + 10);
  });

  test("caps the V8 heap at half of MemoryMax (Buffers live outside it) and the young generation at 1 MiB", () => {
    const memoryMax = /^(\d+)M$/.exec(service("MemoryMax") ?? "");
    const heap = unit
      .get("Service")
      ?.get("Environment")
      ?.map((value) => /^"NODE_OPTIONS=--max-old-space-size=(\d+) --max-semi-space-size=1"$/.exec(value))
      .find((match) => match !== null);
    expect(memoryMax?.[1]).toBeDefined();
    expect(heap?.[1]).toBeDefined();
    expect(Number(heap?.[1])).toBeLessThanOrEqual(Number(memoryMax?.[1]) / 2);
  });

  test("runs unprivileged and may only read logs", () => {
    expect(service("DynamicUser")).toBe("yes");
    expect(service("PrivateUsers")).toBe("yes");
    expect(service("SupplementaryGroups")).toBe("adm");
    expect(service("CapabilityBoundingSet")).toBe("");
    expect(service("ProtectSystem")).toBe("strict");
    expect(service("ReadOnlyPaths")).toBe("/var/log");
    expect(service("NoNewPrivileges")).toBe("yes");
    expect(service("RestrictAddressFamilies")).toBe("AF_INET AF_INET6 AF_UNIX");
    expect(service("MemoryDenyWriteExecute")).toBeUndefined();
  });

  test.runIf(HAS_ANALYZE)("passes systemd-analyze verify (with ExecStart pointed at the built CLI)", async () => {
    const runnable = withRunnableExecStart(unitText);
    expect(runnable).not.toBe(unitText);
    expect(await verifyProblems(scratch, runnable)).toEqual([]);
  });

  test.runIf(HAS_ANALYZE)("the verify check catches a misspelt key, a bad value and a missing binary", async () => {
    const runnable = withRunnableExecStart(unitText);
    const misspelt = runnable.replace(/^ProtectSystem=/m, "ProtectSytem=");
    const badValue = runnable.replace(/^TimeoutStopSec=.*$/m, "TimeoutStopSec=soon");
    expect((await verifyProblems(scratch, misspelt)).join("\n")).toMatch(/Unknown key 'ProtectSytem'/);
    expect((await verifyProblems(scratch, badValue)).join("\n")).toMatch(/Failed to parse time value/);
    const missing = unitText.replace(/^ExecStart=\/usr\/bin\/env ship-logs /m, "ExecStart=/nonexistent/ship-logs ");
    expect((await verifyProblems(scratch, missing)).join("\n")).toMatch(/is not executable/);
  });

  test.runIf(HAS_ANALYZE)("systemd-analyze security --offline rates it OK, failing only the checks a log shipper must", async ({ annotate }) => {
    const text = await analyze("security", "--offline=yes", UNIT_PATH);
    const overall = /Overall exposure level for ship-logs\.service: (\d+(?:\.\d+)?) (\S+)/.exec(text.output);
    expect(overall, text.output).not.toBeNull();
    const exposure = Number(overall?.[1]);
    await annotate(`systemd-analyze security exposure: ${exposure} ${overall?.[2] ?? ""}`);
    expect(exposure).toBeLessThanOrEqual(MAX_EXPOSURE);

    const json = await analyze("security", "--offline=yes", "--json=short", UNIT_PATH);
    const checks = JSON.parse(json.output) as Array<{ json_field: string; exposure: string | null }>;
    const failing = checks.filter((check) => check.exposure !== null && Number(check.exposure) > 0).map((check) => check.json_field);
    expect(failing.filter((field) => !(field in EXPECTED_EXPOSURES))).toEqual([]);
  });
});
