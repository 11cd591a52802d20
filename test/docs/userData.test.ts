import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config/index.js";

const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SCRIPT = join(REPO, "docs/ec2-user-data.sh");

/**
 * Commands the script must not really run here: package managers, the network
 * (IMDS), npm's install, systemd. Each records its arguments in CALLS.
 */
const STUBS: Readonly<Record<string, string>> = {
  npm: `[ "$1 $2" = "root -g" ] && { echo "$NPM_ROOT"; exit 0; }; echo "npm $*" >> "$CALLS"`,
  systemctl: `echo "systemctl $*" >> "$CALLS"`,
  curl: `echo "curl $*" >> "$CALLS"; exit 7`,
  dnf: `echo "dnf $*" >> "$CALLS"; exit 1`,
  "apt-get": `echo "apt-get $*" >> "$CALLS"; exit 1`,
  "ship-logs": `echo "ship-logs 0.0.0-test"`,
};

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "ship-logs-user-data-"));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("docs/ec2-user-data.sh", () => {
  test("is valid bash", async () => {
    await expect(run("bash", ["-n", SCRIPT])).resolves.toBeDefined();
  });

  test("fits EC2's 16 KiB user data limit", async () => {
    expect((await readFile(SCRIPT)).length).toBeLessThanOrEqual(16 * 1024);
  });

  test("keeps its settings as one-line assignments (the README fills them in with sed)", async () => {
    const text = await readFile(SCRIPT, "utf8");
    for (const name of ["BUCKET", "PREFIX", "WATCH", "PACKAGE", "NODE_MAJOR"]) {
      expect(text.match(new RegExp(`^${name}=.+$`, "gm")), name).toHaveLength(1);
    }
  });

  // Runs the script for real, with /etc as an overlay in a private mount
  // namespace (its writes land in `upper/`) and stubs for everything that
  // would install packages, reach the network or talk to systemd. The node
  // running the tests is recent enough, so the script installs none.
  test.skipIf(process.getuid?.() !== 0)(
    "writes a valid config, installs the packaged unit and env file, enables the service",
    async () => {
      const stubs = join(scratch, "bin");
      const upper = join(scratch, "upper");
      const work = join(scratch, "work");
      const npmRoot = join(scratch, "lib/node_modules");
      const calls = join(scratch, "calls.log");
      await Promise.all([stubs, upper, work, npmRoot].map((dir) => mkdir(dir, { recursive: true })));
      await symlink(REPO, join(npmRoot, "ship-logs"));
      for (const [name, body] of Object.entries(STUBS)) {
        await writeFile(join(stubs, name), `#!/bin/sh\n${body}\n`);
        await chmod(join(stubs, name), 0o755);
      }
      const script = (await readFile(SCRIPT, "utf8"))
        .replace(/^BUCKET=.*$/m, "BUCKET=fleet-logs")
        .replace(/^PREFIX=.*$/m, "PREFIX=prod/web/")
        .replace(/^WATCH=.*$/m, `WATCH=("/var/log/app/*.log" '/var/log/odd "name".log')`);
      const rendered = join(scratch, "user-data.sh");
      await writeFile(rendered, script);

      const inNamespace = `mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${work} /etc && exec bash ${rendered}`;
      const { stdout } = await run("unshare", ["--mount", "sh", "-c", inNamespace], {
        env: { PATH: `${stubs}:/usr/local/bin:/usr/bin:/bin`, NPM_ROOT: npmRoot, CALLS: calls, HOME: scratch },
        encoding: "utf8",
      });
      expect(stdout).toMatch(/using node v/);
      expect(stdout).toMatch(/warning: IMDSv2 is not reachable/);

      const configText = await readFile(join(upper, "ship-logs/config.yaml"), "utf8");
      const loaded = await loadConfig(["--config", "config.yaml"], {}, { readTextFile: async () => configText });
      if (loaded.kind !== "run") throw new Error(`unexpected ${loaded.kind}`);
      expect(loaded.config.watch).toEqual(["/var/log/app/*.log", '/var/log/odd "name".log']);
      expect(loaded.config.bucket).toBe("fleet-logs");
      expect(loaded.config.prefix).toBe("prod/web/");

      expect(await readFile(join(upper, "systemd/system/ship-logs.service"), "utf8")).toBe(
        await readFile(join(REPO, "systemd/ship-logs.service"), "utf8"),
      );
      expect(await readFile(join(upper, "default/ship-logs"), "utf8")).toBe(
        await readFile(join(REPO, "systemd/ship-logs.default"), "utf8"),
      );
      // The stub bin is not on systemd's PATH, so the script pointed the unit at it.
      expect(await readFile(join(upper, "systemd/system/ship-logs.service.d/exec-start.conf"), "utf8")).toBe(
        `[Service]\nExecStart=\nExecStart=${join(stubs, "ship-logs")} --config /etc/ship-logs/config.yaml\n`,
      );
      const recorded = (await readFile(calls, "utf8")).trim().split("\n");
      expect(recorded.filter((line) => !line.startsWith("curl "))).toEqual([
        "npm install -g --no-audit --no-fund ship-logs",
        "systemctl daemon-reload",
        "systemctl enable --now ship-logs.service",
      ]);
      expect(recorded.filter((line) => line.startsWith("curl ")).join("\n")).toMatch(/-X PUT http:\/\/169\.254\.169\.254\/latest\/api\/token/);
    },
  );
});
