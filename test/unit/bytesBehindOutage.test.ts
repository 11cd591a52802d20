import { appendFile, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ShipMetrics } from "../../src/metrics/ShipMetrics.js";
import type { S3Sink } from "../../src/sink/S3Sink.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { parsePrometheusText } from "../support/prometheusText.js";
import { inProcessContext } from "../support/inProcessContext.js";

/*
 * docs/operations.md: ship_logs_file_bytes_behind is, per file, the bytes
 * not yet acknowledged by S3, and "growing for 10 minutes" is the lag alert.
 * While S3 fails the upload slots stay taken and the polls stop reading: the
 * gauge must still follow the files as they grow (as `status`'s BEHIND
 * does), and count the files closed at the descriptor cap too.
 */
describe("ship_logs_file_bytes_behind while S3 is down", () => {
  let dir: string;
  let logs: string;
  let s3Down: boolean;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-logs-behind-outage-"));
    logs = join(dir, "logs");
    await mkdir(logs);
    await mkdir(join(dir, "state"));
    s3Down = true;
  });

  afterEach(async () => {
    s3Down = false;
    await rm(dir, { recursive: true, force: true });
  });

  function world(maxOpenFiles?: number) {
    const store = new StateStore(join(dir, "state"));
    const state: ShipState = { files: [] };
    const sink = {
      put: async () => {
        while (s3Down) await sleep(20);
      },
    } as unknown as S3Sink;
    const ctx = inProcessContext(store, state, { sink, batchMaxBytes: 64 });
    const daemon = new Daemon(ctx, {
      patterns: [join(logs, "*.log")],
      flushIntervalMs: 100,
      tickMs: 50,
      rescanMs: 300,
      ...(maxOpenFiles !== undefined ? { maxOpenFiles } : {}),
    });
    const metrics = new ShipMetrics({
      stats: () => ctx.stats,
      files: () => daemon.files(),
      measureFiles: () => daemon.measure(),
      credentialSecondsToExpiry: () => 3_600,
      imdsFailures: () => 0,
      urgent: () => false,
      notice: () => undefined,
    });
    const behind = async (): Promise<Map<string, number>> =>
      new Map(
        parsePrometheusText(await metrics.registry.metrics())
          .filter((sample) => sample.name === "ship_logs_file_bytes_behind")
          .map((sample) => [sample.labels["path"] ?? "", sample.value]),
      );
    return { daemon, behind };
  }

  it("keeps growing with the file once the uploads in flight are all waiting", async () => {
    const { daemon, behind } = world();
    const path = join(logs, "app.log");
    await writeFile(path, "first\n");
    await daemon.start();
    try {
      for (let round = 1; round <= 3; round += 1) {
        // 64-byte batches: the first round alone fills the four upload slots.
        for (let line = 1; line <= 10; line += 1) await appendFile(path, `round ${round} line ${line} ${"x".repeat(20)}\n`);
        await sleep(400);
        const size = (await stat(path)).size;
        expect((await behind()).get(path), `round ${round}: the file holds ${size} bytes, none acknowledged`).toBe(size);
      }
    } finally {
      s3Down = false;
      await daemon.stop(5_000, new AbortController());
    }
  });

  it("counts the files closed at the descriptor cap, which wait for a descriptor", async () => {
    const { daemon, behind } = world(4);
    const paths = Array.from({ length: 10 }, (_, index) => join(logs, `f${String(index).padStart(2, "0")}.log`));
    for (const path of paths) await writeFile(path, `line of ${path}\n`);
    await daemon.start();
    try {
      await sleep(800);
      const series = await behind();
      expect([...series.keys()].sort()).toEqual(paths);
      const sizes = await Promise.all(paths.map(async (path) => (await stat(path)).size));
      expect([...series.values()].reduce((sum, value) => sum + value, 0)).toBe(sizes.reduce((sum, size) => sum + size, 0));
      // Their lines are handed to no upload: ship_logs_oldest_pending_seconds counts them.
      expect(daemon.files().filter((file) => file.pendingSince !== undefined).length).toBeGreaterThanOrEqual(paths.length - 4);
    } finally {
      s3Down = false;
      await daemon.stop(5_000, new AbortController());
    }
  });
});
