import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CredentialCache } from "../../src/credentials/CredentialCache.js";
import { describeChainError } from "../../src/credentials/describeCredentialError.js";
import { fromChain } from "../../src/credentials/fromChain.js";
import type { SdkLogger } from "../../src/credentials/sdkLogger.js";
import { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const quiet: SdkLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Every variable the SDK's default chain reads before IMDS, so that only what a test sets is found. */
const CHAIN_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CREDENTIAL_EXPIRATION",
  "AWS_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT",
  "AWS_EC2_METADATA_V1_DISABLED",
];

describe("fromChain", () => {
  const saved = Object.fromEntries(CHAIN_VARIABLES.map((name) => [name, process.env[name]]));
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ship-logs-chain-"));
    for (const name of CHAIN_VARIABLES) delete process.env[name];
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, "credentials");
    process.env.AWS_CONFIG_FILE = join(dir, "config");
  });

  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads a rotated credentials file on the next call (the chain's memo and the SDK's file cache would hand back the old keys)", async () => {
    const source = fromChain(quiet);
    writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE as string, "[default]\naws_access_key_id = AKIAFIRSTKEY0000\naws_secret_access_key = first\n");
    expect((await source()).accessKeyId).toBe("AKIAFIRSTKEY0000");

    writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE as string, "[default]\naws_access_key_id = AKIASECONDKEY000\naws_secret_access_key = second\n");
    expect((await source()).accessKeyId).toBe("AKIASECONDKEY000");
  });

  it("reads changed environment keys on the next call (keys without an expiry would be memoized forever)", async () => {
    const source = fromChain(quiet);
    process.env.AWS_ACCESS_KEY_ID = "AKIAENVFIRST0000";
    process.env.AWS_SECRET_ACCESS_KEY = "first";
    expect((await source()).accessKeyId).toBe("AKIAENVFIRST0000");

    process.env.AWS_ACCESS_KEY_ID = "AKIAENVSECOND000";
    process.env.AWS_SECRET_ACCESS_KEY = "second";
    expect((await source()).accessKeyId).toBe("AKIAENVSECOND000");
  });

  it("never falls back to IMDSv1 when IMDS refuses the token PUT", async () => {
    const imds = await FakeImds.start();
    try {
      process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds.endpoint;
      imds.failWith(405);
      await expect(fromChain(quiet)()).rejects.toThrow();
      assertImdsV2Only(imds);
      await imds.clearFaults();

      expect((await fromChain(quiet)()).accessKeyId).toBe(imds.currentCredentials().accessKeyId);
    } finally {
      await imds.close();
    }
  });

  it("keeps the secret out of the chain's error line when IMDS hands it a broken document", async () => {
    // An IMDS whose credentials document is not JSON: the secret key is not quoted.
    const server = createServer((req, res) => {
      if (req.method === "PUT") return void res.end("token");
      if (req.url?.endsWith("/security-credentials/")) return void res.end("role");
      res.end(`{"Code":"Success","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":${SECRET},"Token":"t"}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const error: unknown = await fromChain(quiet)().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    await new Promise((resolve) => server.close(resolve));
    expect(error).toBeDefined();
    const line = describeChainError(error);
    expect(line).toMatch(/^the default credential chain found no credentials \(.+\)$/);
    expect(line).not.toContain("wJalr");
  });

  it("after a call the cache gave up on (a credential_process that hangs), the next call runs the process anew", async () => {
    const calls = join(dir, "calls");
    const pids = join(dir, "pids");
    writeFileSync(process.env.AWS_CONFIG_FILE as string, `[default]\ncredential_process = /bin/sh -c 'echo x >> ${calls}; echo $$ >> ${pids}; exec sleep 10'\n`);
    writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE as string, "");
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    let now = 0;
    const cache = new CredentialCache({ source: fromChain(quiet), logger: pino({ level: "silent" }), describeError: (error) => ({ detail: String(error) }), now: () => now, fetchTimeoutMs: 300 });
    try {
      for (const at of [0, 10_000, 20_000]) {
        now = at; // past the spacing between attempts
        await expect(cache.get()).rejects.toThrow(/did not answer within 0.3 s/);
      }
      // A chain shared between calls would have joined the first, hung one each time.
      const started = (): number => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n").length : 0);
      for (let waited = 0; waited < 5_000 && started() < 3; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(started()).toBe(3);
    } finally {
      for (const pid of (existsSync(pids) ? readFileSync(pids, "utf8") : "").split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid));
        } catch {
          // Already gone.
        }
      }
    }
  });
});
