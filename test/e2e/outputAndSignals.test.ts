import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync, readFileSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { baseArgs, cleanEnv, CLI, linesBySource, startDaemon, startWorld, waitFor, type World } from "../support/world.js";

/*
 * What the process does with signals it has no use for, a second stop
 * signal during its start, and output it cannot write: the lines ship and
 * the exit code says so, whatever the terminal, the pipe or the disk under
 * stderr does.
 */
describe("signals and output the daemon cannot write", () => {
  let world: World;
  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    await world.close();
  });

  it("SIGHUP, SIGUSR1 and SIGUSR2 are ignored and said: no inspector opens, the daemon ships on, SIGTERM exits 0", async () => {
    const app = join(world.logs, "app.log");
    await appendFile(app, "");
    const daemon = startDaemon([...baseArgs(world), "--flush-interval", "1"]);
    await daemon.waitForLog(/"msg":"watching"/);
    for (const signal of ["SIGHUP", "SIGUSR1", "SIGUSR2"] as const) {
      daemon.child.kill(signal);
      await daemon.waitForLog(new RegExp(`"signal":"${signal}".*signal ignored`));
    }
    await appendFile(app, "after the signals\n");
    await waitFor(() => linesBySource(world).size > 0, 10_000, "the line in S3");
    const result = await daemon.stop("SIGTERM");
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).not.toMatch(/Debugger listening/);
    expect([...linesBySource(world).values()]).toEqual([["after the signals"]]);
  });

  it("SIGHUP, SIGUSR1, SIGUSR2 and SIGTERM while the CLI's modules still load: none ends the process or opens the inspector; the SIGTERM is a stop once the daemon listens, exit 0", async () => {
    const hooks = new URL("../support/slowConfigLoad.mjs", import.meta.url).href;
    const register = `data:text/javascript,import { register } from "node:module"; register(${JSON.stringify(hooks)});`;
    const child = spawn(process.execPath, ["--import", register, CLI, ...baseArgs(world)], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    // Node catches no SIGHUP of its own: once it is caught, the executable's
    // first lines have run, and the CLI's modules are still loading (4 s late).
    const catchesHup = (): boolean => {
      const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? "0";
      return (BigInt(`0x${mask}`) & 1n) === 1n;
    };
    try {
      await waitFor(catchesHup, 3_000, "a SIGHUP handler");
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
    for (const signal of ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGTERM"] as const) child.kill(signal);
    const [code, signal] = await exited;
    expect({ code, signal }, stderr.slice(-3000)).toEqual({ code: 0, signal: null });
    expect(stderr).not.toMatch(/Debugger listening/);
    // Held until the daemon listened: a stop before IMDS was asked; the line waits in its file for the next start.
    expect(stderr).toMatch(/"signal":"SIGTERM".*stopped before the instance metadata service answered/);
  });

  it("a second SIGTERM while the start still waits for credentials: exit 1 with the second-signal line, not an end by the signal", async () => {
    // IMDS answers everything but the role's credentials, which it holds.
    const imds = new URL(world.imds.endpoint);
    const proxy: Server = createServer((req, res) => {
      if (/\/iam\/security-credentials\/[^/]+$/.test(req.url ?? "")) return;
      const upstream = request({ host: imds.hostname, port: imds.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    proxy.listen(0, "127.0.0.1");
    await once(proxy, "listening");
    try {
      const args = baseArgs(world);
      args[args.indexOf("--imds-endpoint") + 1] = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const daemon = startDaemon(args);
      await waitFor(() => world.imds.countRequests((request) => request.path.includes("/iam/security-credentials/")) > 0, 20_000, "the credentials listing");
      await new Promise((resolve) => setTimeout(resolve, 300));
      daemon.child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const result = await daemon.stop("SIGTERM");
      expect({ code: result.code, signal: result.signal }, result.stderr.slice(-3000)).toEqual({ code: 1, signal: null });
      expect(result.stderr).toMatch(/second signal: exiting now/);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it("--once whose stdout reader is gone: exit 0 once everything is shipped, no stack trace", async () => {
    await appendFile(join(world.logs, "app.log"), "one\ntwo\n");
    const child = spawn(process.execPath, [CLI, ...baseArgs(world), "--once"], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    // Closed before the summary is written: that write fails with EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|    at /);
    expect([...linesBySource(world).values()]).toEqual([["one", "two"]]);
  });

  it("--once with stdout and stderr in one pipe whose reader is slow: the summary line arrives, after 64 KiB of log lines filled the pipe", async () => {
    for (let i = 0; i < 1000; i += 1) await appendFile(join(world.logs, `f${String(i).padStart(4, "0")}.log`), `line ${i}\n`);
    const command = [process.execPath, CLI, ...baseArgs(world), "--once", "--log-level", "trace"].map((arg) => `'${arg}'`).join(" ");
    const child = spawn("bash", ["-c", `${command} 2>&1 | (sleep 14; cat)`], { env: cleanEnv(), stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    const [code] = (await once(child, "close")) as [number | null];
    expect(code).toBe(0);
    expect(out.length).toBeGreaterThan(65_536);
    expect(out).toMatch(/^ship-logs: shipped files=1000 lines=1000 /m);
  }, 60_000);

  it("stderr on a full disk (/dev/full): the daemon ships through an S3 outage and its recovery, each batch PUT once it is stored, and a SIGTERM exits 0", async () => {
    const app = join(world.logs, "app.log");
    await appendFile(app, "");
    const full = openSync("/dev/full", "w");
    const child = spawn(process.execPath, [CLI, ...baseArgs(world), "--flush-interval", "1"], { env: cleanEnv(), stdio: ["ignore", "ignore", full] });
    try {
      const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      await waitFor(() => world.imds.countCredentialFetches() > 0, 20_000, "the daemon's start");
      // Failures, then the "uploads succeed again" line: each of them a log write that fails.
      world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown", forMs: 2_000 });
      await appendFile(app, "during the outage\n");
      await waitFor(() => linesBySource(world).size > 0, 20_000, "the line in S3");
      await appendFile(app, "after it\n");
      await waitFor(() => [...linesBySource(world).values()].flat().length === 2, 10_000, "the second line in S3");
      // Stored objects are not PUT again.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const stored = world.s3.requests.filter((r) => r.method === "PUT" && r.status === 200).map((r) => r.key);
      expect(new Set(stored).size).toBe(stored.length);
      child.kill("SIGTERM");
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect([...linesBySource(world).values()]).toEqual([["during the outage", "after it"]]);
    } finally {
      // A failed expectation must not leave the daemon running.
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      closeSync(full);
    }
  });
});
