import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getToken, imdsText } from "./imdsHttp.js";

const root = new URL("../../../", import.meta.url).pathname;
const bin = join(root, "dist/cli/fakeImds.js");
const execFileAsync = promisify(execFile);

/** Newest modification time of the sources the bin is built from. */
async function newestSourceMtime(): Promise<number> {
  const dir = join(root, "src/fakes/imds");
  const files = [join(root, "src/cli/fakeImds.ts"), join(root, "src/fakes/CredentialAuthority.ts"), ...(await readdir(dir)).map((name) => join(dir, name))];
  return Math.max(...files.map((file) => statSync(file).mtimeMs));
}

/**
 * `npm test` builds first; a single-file run builds here when dist is missing or stale. tsc's exit code
 * is ignored because it still emits when another part of the tree has type errors (the typecheck
 * script is what guards types); what matters here is that the bin exists afterwards.
 */
async function ensureBuilt(): Promise<void> {
  if (existsSync(bin) && statSync(bin).mtimeMs >= (await newestSourceMtime())) return;
  await execFileAsync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], { cwd: root }).catch(() => undefined);
  if (!existsSync(bin)) throw new Error(`build did not produce ${bin}`);
}

interface RunningCli {
  readonly child: ChildProcess;
  readonly endpoint: Promise<string>;
  readonly exit: Promise<number | null>;
  output(): { stdout: string; stderr: string };
}

const READY_LINE = /^fake-imds listening on (http:\/\/127\.0\.0\.1:(\d+)) \(role (\S+), instance (\S+)\)$/m;

function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): RunningCli {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const endpoint = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      const match = READY_LINE.exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    void exit.then((code) => reject(new Error(`fake-imds exited ${code} before ready: ${stderr}`)));
  });
  return { child, endpoint, exit, output: () => ({ stdout, stderr }) };
}

async function runToExit(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = runCli(args, env);
  cli.endpoint.catch(() => undefined);
  const code = await cli.exit;
  return { code, ...cli.output() };
}

describe("fake-imds CLI", () => {
  let workDir: string;

  beforeAll(async () => {
    await ensureBuilt();
    workDir = await mkdtemp(join(tmpdir(), "fake-imds-cli-"));
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it("starts on --port 0, prints the ready line, serves IMDSv2, exits 0 on SIGTERM without leaking secrets", async () => {
    const cli = runCli(["--port", "0", "--role", "web", "--instance-id", "i-0fedcba9876543210", "--region", "eu-west-3"]);
    const endpoint = await cli.endpoint;
    const [, , port, role, instance] = READY_LINE.exec(cli.output().stdout) ?? [];
    expect(Number(port)).toBeGreaterThan(0);
    expect(role).toBe("web");
    expect(instance).toBe("i-0fedcba9876543210");

    const token = await getToken(endpoint);
    expect(await imdsText(endpoint, "/latest/meta-data/placement/region", token)).toBe("eu-west-3");
    const credentials = JSON.parse(await imdsText(endpoint, "/latest/meta-data/iam/security-credentials/web", token)) as Record<string, string>;
    expect(credentials.AccessKeyId).toMatch(/^ASIA/);

    cli.child.kill("SIGTERM");
    expect(await cli.exit).toBe(0);
    const { stdout, stderr } = cli.output();
    for (const secret of [credentials.SecretAccessKey, credentials.Token, token]) {
      expect(stdout + stderr).not.toContain(secret);
    }
  });

  it("exits 0 on SIGINT too", async () => {
    const cli = runCli(["--port", "0"]);
    await cli.endpoint;
    cli.child.kill("SIGINT");
    expect(await cli.exit).toBe(0);
  });

  it("applies --credential-lifetime", async () => {
    const cli = runCli(["--port", "0", "--credential-lifetime", "120"]);
    try {
      const endpoint = await cli.endpoint;
      const token = await getToken(endpoint);
      const credentials = JSON.parse(await imdsText(endpoint, "/latest/meta-data/iam/security-credentials/ship-logs-role", token)) as Record<string, string>;
      expect(Date.parse(credentials.Expiration ?? "") - Date.parse(credentials.LastUpdated ?? "")).toBe(120_000);
    } finally {
      cli.child.kill("SIGTERM");
      await cli.exit;
    }
  });

  it("vends the credentials of --from-profile", async () => {
    const credentialsFile = join(workDir, "credentials");
    await writeFile(credentialsFile, "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
    const env = { ...process.env, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: join(workDir, "no-config") };
    const cli = runCli(["--port", "0", "--from-profile", "dev"], env);
    try {
      const endpoint = await cli.endpoint;
      const token = await getToken(endpoint);
      const credentials = JSON.parse(await imdsText(endpoint, "/latest/meta-data/iam/security-credentials/ship-logs-role", token)) as Record<string, string>;
      expect(credentials).toMatchObject({ AccessKeyId: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Token: "" });
    } finally {
      cli.child.kill("SIGTERM");
      await cli.exit;
    }
    expect(cli.output().stdout + cli.output().stderr).not.toContain("wJalrXUtnFEMI");
  });

  it("exits 2 with one line when the profile has no credentials", async () => {
    const env = { ...process.env, AWS_SHARED_CREDENTIALS_FILE: join(workDir, "none"), AWS_CONFIG_FILE: join(workDir, "none") };
    const { code, stderr } = await runToExit(["--port", "0", "--from-profile", "missing"], env);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^fake-imds: cannot get credentials to vend: .+\n$/);
  });

  it.each([
    [["--bogus"]],
    [["--port", "abc"]],
    [["--port", "70000"]],
    [["--port"]],
    [["--credential-lifetime", "0"]],
    [["--from-profile", "dev", "--from-chain"]],
    [["stray"]],
    // IAM role names have no "/": the credentials path of one with it could not be served.
    [["--role", "a/b"]],
  ])("exits 2 with one stderr line and no stack trace for %j", async (args) => {
    const { code, stdout, stderr } = await runToExit(args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^fake-imds: [^\n]+\n$/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("prints --help and --version", async () => {
    const help = await runToExit(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--from-profile");
    const version = await runToExit(["--version"]);
    expect(version.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    expect(version.stdout).toBe(`fake-imds ${manifest.version}\n`);
  });

  it("starts with the #!/usr/bin/env node shebang", () => {
    expect(readFileSync(bin, "utf8").split("\n", 1)[0]).toBe("#!/usr/bin/env node");
  });
});
