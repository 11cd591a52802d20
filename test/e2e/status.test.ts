import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StatusReport } from "../../src/status/buildStatusReport.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { baseArgs, runCli, waitFor, type World } from "../support/world.js";

async function status(world: World, extra: readonly string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(["status", ...baseArgs(world), ...extra]);
}

async function statusJson(world: World): Promise<StatusReport> {
  const result = await status(world, ["--json"]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as StatusReport;
}

describe("ship-logs status (e2e, real CLI, issue 5)", () => {
  const scenario = useScenario();

  it("with no state: one friendly line per section, exit 0, and the state dir is not created", async () => {
    const world = await scenario.startWorld();
    const text = await status(world);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe("");
    expect(text.stdout).toBe(`daemon: no runtime status in ${world.state} (never ran, or not with this state dir)\nno files tracked yet\n`);

    const json = await status(world, ["--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ stateDir: world.state, files: [], spool: { batches: 0, bytes: 0 } });
    // A read-only command: it must not create what the daemon owns.
    await expect(access(world.state)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a status.json of another shape (a live pid, a fresh time, nothing else): not a ship-logs status file, reported without runtime data, exit 0", async () => {
    const world = await scenario.startWorld();
    await mkdir(world.state, { recursive: true });
    await writeFile(join(world.state, "status.json"), JSON.stringify({ pid: process.pid, updatedAt: new Date().toISOString() }));
    const text = await status(world);
    expect(text.stderr).toBe("");
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`daemon: no runtime status in ${world.state} (status.json is not a ship-logs status file)\nno files tracked yet\n`);
  });

  it("reports the lag while S3 is down, and lag 0 once the fault is cleared", async () => {
    const world = await scenario.startWorld();
    const log = join(world.logs, "app.log");
    const writer = scenario.lineWriter(log);
    writer.write();
    const daemon = scenario.startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await daemon.waitForLog(/"msg":"watching"/);
    await waitForLinesInS3(world, "app.log", 1, 10_000);

    world.s3.injectFault({ kind: "error", status: 503, code: "SlowDown" });
    writer.start(50);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    writer.stop();
    // The writer stopped; S3 refuses every PUT, so everything after the first line is behind.
    let report: StatusReport | undefined;
    await waitFor(
      async () => {
        report = await statusJson(world);
        return report.daemon?.failingSince !== undefined;
      },
      15_000,
      "status to show uploads failing (status.json is rewritten every 5 s)",
    );
    const lagging = report as StatusReport;
    expect(lagging.daemon).toMatchObject({ running: true, pid: daemon.child.pid, mode: "normal" });
    expect(lagging.daemon?.credentialSecondsToExpiry).toBeGreaterThan(3_600);
    expect(lagging.files).toHaveLength(1);
    const file = lagging.files[0]!;
    expect(file).toMatchObject({ path: log, state: "following" });
    expect(file.bytesBehind).toBeGreaterThan(0);
    // A PUT has failed, and its key was recorded before it was sent: at least that upload is pending.
    expect(file.pendingUploads).toBeGreaterThan(0);
    expect((file.size ?? 0) - file.shipped).toBe(file.bytesBehind);
    expect(world.s3.rejected("SlowDown").length).toBeGreaterThan(0);

    const text = await status(world);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^daemon: running \\(pid ${daemon.child.pid}\\), mode normal, .* uploads failing since `, "m"));
    expect(text.stdout).toMatch(/^FILE\s+STATE\s+SHIPPED\s+BEHIND\s+PENDING\s+LAST UPLOAD$/m);
    expect(text.stdout).toContain(log);

    world.s3.clearFaults();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 30_000);
    await waitFor(
      async () => {
        report = await statusJson(world);
        return report.files[0]?.bytesBehind === 0 && report.files[0].pendingUploads === 0 && report.daemon?.failingSince === undefined;
      },
      15_000,
      `lag 0 in status (last: ${JSON.stringify(report)})`,
    );
    expect(report?.files[0]?.lastUploadAt).toBeDefined();
    expect(report?.daemon?.putsLastHour).toBeGreaterThan(0);

    const stopped = await daemon.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    const after = await statusJson(world);
    expect(after.daemon?.running).toBe(false);
    expect((await status(world)).stdout).toMatch(/^daemon: not running \(last status [^)]*\)\n/);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
    await assertNoSecretLeaks(world, [stopped.stdout, stopped.stderr, JSON.stringify(after)]);
  }, 90_000);
});
