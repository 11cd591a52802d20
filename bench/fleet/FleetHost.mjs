// @ts-check
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "../lib/seededRandom.mjs";
import { RotatingLog } from "./RotatingLog.mjs";

/**
 * The slice of the product's FakeImds a host uses.
 * @typedef {{ endpoint: string, lookup(accessKeyId: string): unknown, close(): Promise<void> }} Imds
 * @typedef {{ start(options: { instanceId: string, region: string }): Promise<Imds> }} ImdsClass
 */

const LOG_NAMES = ["app.log", "access.log", "worker.log", "audit.log"];

/** @param {number} index */
function logName(index) {
  return LOG_NAMES[index] ?? `service${index}.log`;
}

/**
 * The product's environment: nothing of the caller's AWS or SHIP_LOGS_* settings,
 * so credentials can only come from this host's fake IMDS.
 * @returns {NodeJS.ProcessEnv}
 */
function daemonEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_") && !name.startsWith("SHIP_LOGS_")));
  return { ...env, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
}

/**
 * One simulated EC2 host: its own fake IMDS (its instance id and credentials),
 * its log directory and state directory, and a real `ship-logs` daemon process.
 */
export class FleetHost {
  /**
   * @param {{ index: number, imds: Imds, instanceId: string, logs: RotatingLog[], child: import("node:child_process").ChildProcess }} parts
   */
  constructor({ index, imds, instanceId, logs, child }) {
    this.index = index;
    this.tag = `h${String(index).padStart(3, "0")}`;
    this.imds = imds;
    this.instanceId = instanceId;
    this.logs = logs;
    this.child = child;
    this.stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (/** @type {string} */ text) => (this.stderr += text));
    /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /**
   * @param {object} options
   * @param {number} options.index
   * @param {ImdsClass} options.FakeImds
   * @param {string} options.workDir
   * @param {string} options.cli the ship-logs executable (dist/cli/bin.cjs)
   * @param {string} options.s3Endpoint
   * @param {string} options.bucket
   * @param {string} options.prefix
   * @param {number} options.files logs per host
   * @param {number} options.flushIntervalS
   * @param {number} options.seed
   * @returns {Promise<FleetHost>}
   */
  static async start(options) {
    const { index } = options;
    // i- and 17 hex digits, as EC2 ids are; distinct per host.
    const instanceId = `i-0f1ee7${String(index).padStart(11, "0")}`;
    const imds = await options.FakeImds.start({ instanceId, region: "us-east-1" });
    const logsDir = join(options.workDir, `host-${index}`, "logs");
    const stateDir = join(options.workDir, `host-${index}`, "state");
    mkdirSync(logsDir, { recursive: true });
    const tag = `h${String(index).padStart(3, "0")}`;
    const logs = Array.from(
      { length: options.files },
      (_, k) => new RotatingLog({ dir: logsDir, name: logName(k), host: tag, random: seededRandom(options.seed * 1_000_003 + index * 101 + k) }),
    );
    const args = [
      options.cli,
      "--watch", join(logsDir, "*.log"),
      "--bucket", options.bucket,
      "--endpoint", options.s3Endpoint,
      "--imds-endpoint", imds.endpoint,
      "--state-dir", stateDir,
      "--prefix", options.prefix,
      "--flush-interval", String(options.flushIntervalS),
      "--log-level", "warn",
    ];
    const child = spawn(process.execPath, args, { env: daemonEnv(), stdio: ["ignore", "ignore", "pipe"] });
    return new FleetHost({ index, imds, instanceId, logs, child });
  }

  /** What the verifier needs to know of this host. @returns {import("./verifyFleet.mjs").HostRecord} */
  record() {
    return {
      tag: this.tag,
      instanceId: this.instanceId,
      issued: (accessKeyId) => this.imds.lookup(accessKeyId) !== undefined,
      logs: this.logs.map((log) => ({ name: log.name, written: log.written })),
    };
  }

  /** SIGTERM, as systemd stops the unit; resolves with the exit. */
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    return this.exited;
  }

  /** Releases everything; a daemon still running (after a failure) is killed: none outlives the simulation. */
  async close() {
    for (const log of this.logs) log.close();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
    await this.imds.close();
  }
}
