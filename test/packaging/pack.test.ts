import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import { FakeS3 } from "../../src/fakes/s3/FakeS3.js";

const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** What an installed ship-logs needs at run time and for its install on EC2; nothing else ships. */
const ALLOWED = [/^dist\/.+\.c?js$/, /^systemd\/[^/]+$/, /^docs\/.+$/, /^README\.md$/, /^package\.json$/, /^LICENSE(\.\w+)?$/];
const REQUIRED = [
  "dist/cli/bin.cjs",
  "dist/cli/shipLogs.js",
  "dist/cli/fakeImds.js",
  "systemd/ship-logs.service",
  "systemd/config.example.yaml",
  "systemd/ship-logs.default",
  "docs/ec2-user-data.sh",
  "docs/iam/trust-policy.json",
  "docs/iam/ship-logs-policy.json",
  "docs/iam/README.md",
  "README.md",
  "package.json",
];

interface PackResult {
  filename: string;
  name: string;
  version: string;
  files: Array<{ path: string }>;
}

interface Manifest {
  name: string;
  version: string;
  bin: Record<string, string>;
}

/** A clean environment for the installed bins: this node on PATH, no AWS settings, no npm config from the caller. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: home, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
}

let scratch: string;
let manifest: Manifest;
let packed: PackResult;
let tarball: string;

// `npm test` builds first; dist/ is what gets packed.
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "ship-logs-pack-"));
  manifest = JSON.parse(await readFile(join(REPO, "package.json"), "utf8")) as Manifest;
  expect(existsSync(join(REPO, "dist/cli/bin.cjs")), "run `npm run build` first").toBe(true);
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: REPO, encoding: "utf8" });
  const results = JSON.parse(stdout) as PackResult[];
  expect(results).toHaveLength(1);
  packed = results[0] as PackResult;
  tarball = join(scratch, packed.filename);
}, 120_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("npm pack", () => {
  test("ships the runtime only: dist/, systemd/, docs/, README.md, package.json", () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths.filter((path) => !ALLOWED.some((pattern) => pattern.test(path)))).toEqual([]);
    for (const path of REQUIRED) expect(paths, path).toContain(path);
    for (const bin of Object.values(manifest.bin)) expect(paths).toContain(bin.replace(/^\.\//, ""));
  });

  test("ships no stale build output: every dist/ module comes from a src/ file (build from a clean dist/)", () => {
    const stale = packed.files
      .map((file) => file.path)
      .filter((path) => path.startsWith("dist/") && /\.c?js$/.test(path))
      .filter((path) => !existsSync(join(REPO, "src", path.slice("dist/".length).replace(/\.js$/, ".ts").replace(/\.cjs$/, ".cts"))));
    expect(stale).toEqual([]);
  });
});

describe("npm install -g of the tarball", () => {
  let prefix: string;
  let bin: (name: string) => string;

  beforeAll(async () => {
    prefix = join(scratch, "prefix");
    // The dependencies come from npm's cache (npm ci filled it); the registry only if something is missing.
    await run("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", tarball], {
      cwd: scratch,
      encoding: "utf8",
      env: { ...process.env, npm_config_update_notifier: "false" },
    });
    bin = (name) => join(prefix, "bin", name);
  }, 180_000);

  test("installs both bins; --version and --help answer and exit 0", async () => {
    const version = await run(bin("ship-logs"), ["--version"], { env: cleanEnv(scratch), encoding: "utf8" });
    expect(version.stdout.trim()).toBe(`ship-logs ${manifest.version}`);
    const help = await run(bin("ship-logs"), ["--help"], { env: cleanEnv(scratch), encoding: "utf8" });
    expect(help.stdout).toMatch(/--watch/);
    expect(help.stdout).toMatch(/--stop-timeout/);
    const fakeImdsHelp = await run(bin("fake-imds"), ["--help"], { env: cleanEnv(scratch), encoding: "utf8" });
    expect(fakeImdsHelp.stdout).toMatch(/IMDSv2/);
  });

  test("the build makes both bins runnable from the checkout, at the paths package.json names (SPEC)", async () => {
    for (const [name, path] of Object.entries(manifest.bin)) {
      const answer = await run(join(REPO, path), ["--help"], { env: cleanEnv(scratch), encoding: "utf8" });
      expect(answer.stdout, name).not.toBe("");
    }
  });

  test("installs the unit and examples where the user data looks for them", async () => {
    const installed = join(prefix, "lib/node_modules", manifest.name);
    expect(await readFile(join(installed, "systemd/ship-logs.service"), "utf8")).toBe(
      await readFile(join(REPO, "systemd/ship-logs.service"), "utf8"),
    );
    expect(existsSync(join(installed, "systemd/ship-logs.default"))).toBe(true);
  });

  test("ships a log file with --once through IMDSv2 credentials to S3, exit 0", async () => {
    const imds = await FakeImds.start();
    const s3 = await FakeS3.start({ authority: imds, buckets: ["ship-logs-pack-test"] });
    try {
      const logs = join(scratch, "logs");
      await mkdir(logs, { recursive: true });
      await writeFile(join(logs, "app.log"), "first line\nsecond line\n");
      // Async on purpose: the fakes answer from this process's event loop.
      const result = await run(
        bin("ship-logs"),
        [
          "--once",
          "--watch", join(logs, "*.log"),
          "--bucket", "ship-logs-pack-test",
          "--endpoint", s3.endpoint,
          "--imds-endpoint", imds.endpoint,
          "--state-dir", join(scratch, "state"),
        ],
        { env: cleanEnv(scratch), encoding: "utf8", timeout: 60_000 },
      );
      expect(result.stdout).toMatch(/objects=1\b/);
      const objects = s3.listObjects("ship-logs-pack-test");
      expect(objects).toHaveLength(1);
      const [object] = objects;
      expect(object?.key).toMatch(new RegExp(`${imds.instanceId}/.*app\\.log.*\\.gz$`));
      const stored = s3.getObject("ship-logs-pack-test", object?.key ?? "");
      expect(gunzipSync(stored?.body ?? Buffer.alloc(0)).toString("utf8")).toBe("first line\nsecond line\n");
    } finally {
      await s3.close();
      await imds.close();
    }
  });
});
