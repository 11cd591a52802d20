import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import type { StatusReport } from "../../src/status/buildStatusReport.js";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { freePort } from "../support/freePort.js";
import type { LineWriter } from "../support/LineWriter.js";
import { logsMatching } from "../support/logRecords.js";
import { parsePrometheusText, sampleValue } from "../support/prometheusText.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { startShipping } from "../support/startShipping.js";
import { baseArgs, runCli, waitFor, type DaemonProcess, type World } from "../support/world.js";

/** The watcher polls IMDS every 5 s; a notice must have been acted on by the next poll plus an upload. */
const NOTICE_DEADLINE_MS = 10_000;
/** Long enough that only a notice (or SIGTERM) can make anything ship during a test. */
const LONG_FLUSH = ["--flush-interval", "300"];

describe("lifecycle notices (e2e, real CLI, issue 8)", () => {
  const scenario = useScenario();

  interface Running {
    world: World;
    daemon: DaemonProcess;
    writer: LineWriter;
    metrics: string;
  }

  /** A daemon with lines pending in app.log, after its first lifecycle poll. */
  async function startWithPendingLines(extra: readonly string[]): Promise<Running> {
    const world = await scenario.startWorld();
    const writer = scenario.lineWriter(join(world.logs, "app.log"));
    for (let i = 0; i < 5; i += 1) writer.write();
    const metrics = `http://127.0.0.1:${await freePort()}`;
    const daemon = scenario.startDaemon([...baseArgs(world), ...extra, "--metrics-listen", metrics.slice("http://".length)]);
    await daemon.waitForLog(/"msg":"serving metrics/);
    for (let i = 0; i < 5; i += 1) writer.write();
    // The watcher polls at start; by now it has seen "no notice" at least once.
    await waitFor(() => world.imds.countRequests({ path: "/latest/meta-data/spot/instance-action" }) > 0, 5_000, "a lifecycle poll");
    return { world, daemon, writer, metrics };
  }

  function putObjects(w: World): number {
    return w.s3.requests.filter((request) => request.operation === "PutObject").length;
  }

  async function statusJson(w: World): Promise<StatusReport> {
    const result = await runCli(["status", "--json", ...baseArgs(w)]);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as StatusReport;
  }

  async function metric(base: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const text = await (await fetch(`${base}/metrics`)).text();
    return sampleValue(parsePrometheusText(text), name, labels);
  }

  /**
   * After `raise`: every pending line is in S3 within NOTICE_DEADLINE_MS with no signal sent,
   * and lines written afterwards follow within seconds, the flush interval notwithstanding.
   */
  async function expectUrgentShipping(run: Running, raise: (imds: FakeImds) => void): Promise<void> {
    await sleep(1_000);
    expect(putObjects(run.world), "uploads before any notice").toBe(0);
    const raisedAt = Date.now();
    raise(run.world.imds);
    await waitForLinesInS3(run.world, "app.log", run.writer.lines.length, NOTICE_DEADLINE_MS);
    expect(Date.now() - raisedAt).toBeLessThan(NOTICE_DEADLINE_MS);
    expect(run.daemon.child.exitCode, "the daemon keeps running").toBeNull();

    const later = Date.now();
    for (let i = 0; i < 3; i += 1) run.writer.write();
    await waitForLinesInS3(run.world, "app.log", run.writer.lines.length, 5_000);
    expect(Date.now() - later).toBeLessThan(5_000);
  }

  it("a spot interruption notice ships everything at once and keeps shipping at once; status and metrics say so", async () => {
    const run = await startWithPendingLines(LONG_FLUSH);
    expect(await metric(run.metrics, "ship_logs_urgent_mode")).toBe(0);
    await expectUrgentShipping(run, (imds) => imds.raiseSpotInterruption("terminate"));

    const going = logsMatching(run.daemon.stderr(), /^instance is going away$/);
    expect(going).toHaveLength(1);
    expect(going[0]).toMatchObject({ level: 40, notice: "spot-interruption", detail: "terminate" });
    expect(String(going[0]?.["deadline"])).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    expect(await metric(run.metrics, "ship_logs_urgent_mode")).toBe(1);
    expect(await metric(run.metrics, "ship_logs_lifecycle_notice", { kind: "spot-interruption" })).toBe(1);
    let report: StatusReport | undefined;
    await waitFor(
      async () => (report = await statusJson(run.world)).daemon?.mode === "urgent",
      8_000,
      "status mode urgent (status.json is rewritten every 5 s)",
    );
    expect(report?.daemon).toMatchObject({
      running: true,
      mode: "urgent",
      notice: { kind: "spot-interruption", detail: "terminate", deadline: expect.stringMatching(/Z$/) },
    });
    const text = await runCli(["status", ...baseArgs(run.world)]);
    expect(text.stdout).toMatch(/mode urgent after spot-interruption notice/);

    const result = await run.daemon.stop("SIGTERM");
    expect(result.code).toBe(0);
    expectShippedExactlyOnce(run.world, "app.log", run.writer.lines);
    assertImdsV2Only(run.world.imds);
    await assertNoSecretLeaks(run.world, [result.stdout, result.stderr]);
  }, 60_000);

  it("in urgent mode a busy file is uploaded once a tick, not once per write", async () => {
    const run = await startWithPendingLines(LONG_FLUSH);
    run.world.imds.raiseSpotInterruption("terminate");
    await waitForLinesInS3(run.world, "app.log", run.writer.lines.length, NOTICE_DEADLINE_MS);
    const before = putObjects(run.world);
    const started = Date.now();
    // 100 writes in about 2 s, each a file event.
    for (let i = 0; i < 100; i += 1) {
      run.writer.write();
      await sleep(20);
    }
    await waitForLinesInS3(run.world, "app.log", run.writer.lines.length, 5_000);
    const seconds = (Date.now() - started) / 1000;
    // The tick is 1 s with this flush interval: about one PUT a second, with room for a late tick.
    expect(putObjects(run.world) - before).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    const result = await run.daemon.stop("SIGTERM");
    expect(result.code).toBe(0);
    expectShippedExactlyOnce(run.world, "app.log", run.writer.lines);
  });

  it("an Auto Scaling target lifecycle state of Terminated does the same", async () => {
    const run = await startWithPendingLines(LONG_FLUSH);
    await expectUrgentShipping(run, (imds) => imds.setTargetLifecycleState("Terminated"));
    expect(logsMatching(run.daemon.stderr(), /^instance is going away$/)[0]).toMatchObject({ notice: "scale-in", detail: "Terminated" });
    expect(await metric(run.metrics, "ship_logs_urgent_mode")).toBe(1);
    expect(await metric(run.metrics, "ship_logs_lifecycle_notice", { kind: "scale-in" })).toBe(1);
    const result = await run.daemon.stop("SIGTERM");
    expect(result.code).toBe(0);
    expectShippedExactlyOnce(run.world, "app.log", run.writer.lines);
  }, 45_000);

  it("a rebalance recommendation alone is reported but flushes nothing", async () => {
    const run = await startWithPendingLines(LONG_FLUSH);
    run.world.imds.raiseRebalanceRecommendation();
    await run.daemon.waitForLog(/"msg":"rebalance recommended"/, NOTICE_DEADLINE_MS);
    await sleep(2_000);
    expect(putObjects(run.world), "uploads after a rebalance recommendation").toBe(0);
    expect(await metric(run.metrics, "ship_logs_urgent_mode")).toBe(0);
    expect(await metric(run.metrics, "ship_logs_lifecycle_notice", { kind: "rebalance" })).toBe(1);
    expect(logsMatching(run.daemon.stderr(), /^instance is going away$/)).toEqual([]);
    // SIGTERM still ships what is pending.
    const result = await run.daemon.stop("SIGTERM");
    expect(result.code).toBe(0);
    expectShippedExactlyOnce(run.world, "app.log", run.writer.lines);
  }, 45_000);

  it("with --flush-on-rebalance a rebalance recommendation flushes like a termination notice", async () => {
    const run = await startWithPendingLines([...LONG_FLUSH, "--flush-on-rebalance"]);
    await expectUrgentShipping(run, (imds) => imds.raiseRebalanceRecommendation());
    expect(logsMatching(run.daemon.stderr(), /^instance is going away$/)[0]).toMatchObject({ notice: "rebalance" });
    expect(await metric(run.metrics, "ship_logs_urgent_mode")).toBe(1);
    const result = await run.daemon.stop("SIGTERM");
    expect(result.code).toBe(0);
    expectShippedExactlyOnce(run.world, "app.log", run.writer.lines);
  }, 45_000);

  /**
   * While IMDS cannot answer the lifecycle paths, the cached credentials keep uploads going:
   * the watcher says so once per streak and nothing else changes.
   */
  async function expectUnaffectedBy(fault: (imds: FakeImds) => void, faultMs: number): Promise<void> {
    const world = await scenario.startWorld();
    const { writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5"]);
    await waitForLinesInS3(world, "app.log", 1, 10_000);

    const from = Date.now();
    fault(world.imds);
    await daemon.waitForLog(/"msg":"cannot read instance lifecycle notices from IMDS; shipping goes on"/, faultMs + 20_000);
    await sleep(Math.max(0, from + faultMs - Date.now()));
    const uploadsDuringFault = world.s3.requests.filter(
      (request) => request.operation === "PutObject" && request.status === 200 && request.at.getTime() > from && request.at.getTime() < from + faultMs,
    );
    expect(uploadsDuringFault.length, "uploads while IMDS was failing").toBeGreaterThan(0);
    await daemon.waitForLog(/"msg":"instance lifecycle notices readable again"/, 30_000);
    writer.stop();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 10_000);
    expect(daemon.child.exitCode).toBeNull();
    const result = await daemon.stop("SIGTERM");
    expect(result.code).toBe(0);
    expect(logsMatching(result.stderr, /lifecycle notices/).map((record) => [record.level, record.msg])).toEqual([
      [40, "cannot read instance lifecycle notices from IMDS; shipping goes on"],
      [30, "instance lifecycle notices readable again"],
    ]);
    expect(logsMatching(result.stderr, /going away|shipping every pending line now/)).toEqual([]);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
    assertImdsV2Only(world.imds);
  }

  it("IMDS answering 500 changes nothing: one warn line, shipping goes on on cached credentials", async () => {
    await expectUnaffectedBy((imds) => imds.failWith(500, 6_000), 6_000);
  }, 60_000);

  it("a stalled IMDS changes nothing either", async () => {
    // Longer than one read's timeouts and retries (3 x 2 s): shorter stalls go unnoticed, rightly.
    await expectUnaffectedBy((imds) => imds.stall(12_000), 12_000);
  }, 60_000);
});
