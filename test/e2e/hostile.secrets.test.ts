import { chmod, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { freePort } from "../support/freePort.js";
import { LineWriter } from "../support/LineWriter.js";
import { LEVEL, logRecords, logsMatching } from "../support/logRecords.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, issuedSecrets, runCli, startDaemon, startWorld, waitFor, type DaemonProcess, type World } from "../support/world.js";
import { sleep } from "./hostileSupport.js";

const LOOSE_CONFIG = /^config file is writable by group or others: anyone who can write it can redirect the logs \(chmod go-w\)$/;

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  return `${response.status}\n${await response.text()}`;
}

/** Mode bits of every entry of the state dir, and of the dir itself, as octal strings. */
async function stateModes(state: string): Promise<Record<string, string>> {
  const modes: Record<string, string> = { ".": ((await stat(state)).mode & 0o777).toString(8) };
  for (const name of await readdir(state)) modes[name] = ((await stat(join(state, name))).mode & 0o777).toString(8);
  return modes;
}

/**
 * Issue 7, case 8: what the daemon leaves behind is private (state dir 0700, its
 * files 0600, even when the dir existed with looser bits), a config file anyone can
 * write is pointed out, and no credential the fake IMDS issued — several sets, one
 * revoked, refused by S3 and replaced — appears in trace logs, state, error messages,
 * metrics, health pages or `status` output.
 */
describe("hostile world: secrets and permissions (e2e, real CLI, issue 7)", () => {
  let world: World | undefined;
  let daemon: DaemonProcess | undefined;
  let writer: LineWriter | undefined;

  afterEach(async () => {
    writer?.stop();
    await daemon?.stop("SIGKILL");
    await world?.close();
    world = daemon = writer = undefined;
  });

  it("private state, a warning for a world-writable config, and no secret anywhere at trace level", async () => {
    world = await startWorld({ imds: { credentialLifetimeSeconds: 12, rotateBeforeSeconds: 4 } });
    // A state dir that exists with the bits systemd gives StateDirectory= by default.
    await mkdir(world.state, { mode: 0o755 });
    await chmod(world.state, 0o755);
    const config = join(world.dir, "ship-logs.yaml");
    await writeFile(config, "flushInterval: 0.5\nlogLevel: trace\n");
    await chmod(config, 0o666);
    const port = await freePort();
    writer = new LineWriter(join(world.logs, "app.log"), "secrets");
    writer.write();
    daemon = startDaemon([...baseArgs(world), "--config", config, "--metrics-listen", `127.0.0.1:${port}`]);
    await waitForLinesInS3(world, "app.log", 1, 15_000);
    writer.start(100);
    // The keys in use are revoked: S3 refuses them, the daemon fetches new ones and resends.
    world.imds.revoke(world.imds.currentCredentials().accessKeyId);
    await sleep(3_000);
    // And once denies: an error message that names bucket and key, not the keys.
    world.s3.injectFault({ kind: "deny" });
    await sleep(2_000);
    world.s3.clearFaults();
    // Past a credential rotation (12 s lifetime, a new set 4 s before expiry).
    await waitFor(() => world!.imds.issuedCredentials().length >= 3, 20_000, "three credential sets issued");
    writer.stop();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 30_000);

    const pages = await Promise.all(["/metrics", "/healthz", "/readyz"].map((path) => fetchText(`http://127.0.0.1:${port}${path}`)));
    expect(pages[0]).toMatch(/^200\n/);
    const status = await runCli(["status", "--json", ...baseArgs(world)]);
    expect(status.code, status.stderr).toBe(0);
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    expectShippedExactlyOnce(world, "app.log", writer.lines);

    expect(await stateModes(world.state)).toEqual({ ".": "700", "state.json": "600", "status.json": "600" });
    expect(logsMatching(result.stderr, LOOSE_CONFIG)).toEqual([expect.objectContaining({ level: 40, configFile: config, mode: "666" })]);
    // Trace level was on (the point of looking: debug lines hold keys, codes, waits), and
    // credentials were refreshed, once forced by S3's refusal.
    expect(logRecords(result.stderr).some((record) => record.level <= LEVEL.debug)).toBe(true);
    expect(logsMatching(result.stderr, /^credentials refreshed$/).some((record) => record["forced"] === true)).toBe(true);
    expect(issuedSecrets(world).length).toBeGreaterThanOrEqual(6);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr, status.stdout, status.stderr, ...pages]);
    assertImdsV2Only(world.imds);
  }, 60_000);

  it("no warning for a config file only its owner can write; --once failures carry no secret either", async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "app.log"), "one\n");
    const config = join(world.dir, "ship-logs.json");
    await writeFile(config, '{"logLevel": "trace"}');
    await chmod(config, 0o644);
    world.s3.injectFault({ kind: "deny" });
    const denied = await runCli(["--once", ...baseArgs(world), "--config", config]);
    expect(denied.code, denied.stderr).toBe(1);
    expect(logsMatching(denied.stderr, LOOSE_CONFIG)).toEqual([]);
    await chmod(config, 0o620);
    world.s3.clearFaults();
    const shipped = await runCli(["--once", ...baseArgs(world), "--config", config]);
    expect(shipped.code, shipped.stderr).toBe(0);
    expect(logsMatching(shipped.stderr, LOOSE_CONFIG)).toEqual([expect.objectContaining({ mode: "620" })]);
    expect(await stateModes(world.state)).toEqual({ ".": "700", "state.json": "600" });
    await assertNoSecretLeaks(world, [denied.stdout, denied.stderr, shipped.stdout, shipped.stderr]);
  }, 60_000);
});
