import { appendFile, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ShipMetrics } from "../../src/metrics/ShipMetrics.js";
import type { S3Sink } from "../../src/sink/S3Sink.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { buildStatusReport } from "../../src/status/buildStatusReport.js";
import { StatusWriter } from "../../src/status/StatusWriter.js";
import { inProcessContext } from "../support/inProcessContext.js";

/*
 * After a rotation the file that left the path and the new file at it share
 * the path. The rotated one's backlog (S3 down) must show in the metrics and
 * in `ship-logs status`, which the drain script of docs/lifecycle.md sums
 * before it lets the instance go.
 */
describe("the backlog of a rotated file still being read", () => {
  let dir: string;
  let logs: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-logs-rotated-lag-"));
    logs = join(dir, "logs");
    await mkdir(logs);
    await mkdir(join(dir, "state"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("shows in ship_logs_file_bytes_behind and in the status report while S3 is down", async () => {
    const store = new StateStore(join(dir, "state"));
    const state: ShipState = { files: [] };
    let s3Down = true;
    const sink = {
      put: async () => {
        while (s3Down) await sleep(20);
      },
    } as unknown as S3Sink;
    const ctx = inProcessContext(store, state, { sink, batchMaxBytes: 1024 });
    const path = join(logs, "a.log");
    const backlog = 64 * 1024;
    await appendFile(path, `${"y".repeat(1023)}\n`.repeat(backlog / 1024));
    // A rescan every 500 ms: with S3 down the tick waits in the rotated file's
    // poll for an upload slot, and a file event for the path may go to that
    // same poll (probably what made this fail once, in CI), so the new a.log
    // is also found by the rescan, as in production (every 10 s).
    const daemon = new Daemon(ctx, { patterns: [join(logs, "*.log")], flushIntervalMs: 100, tickMs: 50, rescanMs: 500 });
    const status = new StatusWriter(
      store.dir,
      () => ({ mode: "normal", notice: undefined, credentialSecondsToExpiry: 3_600, failingSince: undefined, files: daemon.files() }),
      () => 0,
      pino({ level: "silent" }),
    );
    await daemon.start();
    try {
      await sleep(500);
      await rename(path, join(logs, "a.log.1"));
      await appendFile(path, "new\n");
      await sleep(1_500);
      expect(daemon.files().filter((file) => file.path === path)).toHaveLength(2);

      const metrics = new ShipMetrics({
        stats: () => ctx.stats,
        files: () => daemon.files(),
        credentialSecondsToExpiry: () => 3_600,
        imdsFailures: () => 0,
        urgent: () => false,
        notice: () => undefined,
      });
      // Nothing acknowledged: the rotated file's whole backlog is behind, and the new file's line, once seen.
      const behind = daemon.files().reduce((sum, file) => sum + file.bytesBehind, 0);
      expect(behind).toBeGreaterThanOrEqual(backlog);
      expect(await metrics.registry.metrics()).toContain(`ship_logs_file_bytes_behind{path="${path}"} ${behind}\n`);

      await store.save(state);
      await status.stop();
      const report = await buildStatusReport(store);
      const rotated = report.files.find((file) => file.state !== "following");
      expect(rotated?.bytesBehind).toBe(backlog);
    } finally {
      s3Down = false;
      await daemon.stop(5_000, new AbortController());
    }
  });
});
