import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ShipMetrics } from "../../src/metrics/ShipMetrics.js";
import type { S3Sink } from "../../src/sink/S3Sink.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { buildStatusReport } from "../../src/status/buildStatusReport.js";
import { formatStatusReport } from "../../src/status/formatStatusReport.js";
import { StatusWriter } from "../../src/status/StatusWriter.js";
import { parsePrometheusText, sampleValue } from "../support/prometheusText.js";
import { inProcessContext } from "../support/inProcessContext.js";

/** Tests may run as root, whom no mode bits stop: the open of secret.log is refused as the kernel refuses the service user's. */
vi.mock("../../src/source/openFile.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/source/openFile.js")>();
  return {
    ...original,
    openFile: async (path: string) => {
      if (path.endsWith("secret.log")) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" });
      return original.openFile(path);
    },
  };
});

/*
 * docs/operations.md's "everything is shipped" checks (BEHIND 0 everywhere,
 * the jq recipe) must not pass while a watched file the service cannot read
 * ships nothing.
 */
describe("a watched file the daemon cannot open", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-logs-unreadable-"));
    await mkdir(join(dir, "logs"));
    await mkdir(join(dir, "state"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("shows in status (state unreadable, all of it behind), in ship_logs_file_bytes_behind and ship_logs_unreadable_files", async () => {
    const store = new StateStore(join(dir, "state"));
    const state: ShipState = { files: [] };
    const sink = { put: async () => undefined } as unknown as S3Sink;
    const ctx = inProcessContext(store, state, { sink });
    const ok = join(dir, "logs", "ok.log");
    const secret = join(dir, "logs", "secret.log");
    await writeFile(ok, "ok-line\n");
    await writeFile(secret, "secret-line\nmore 1\n");
    const daemon = new Daemon(ctx, { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 100, tickMs: 50, rescanMs: 300 });
    const status = new StatusWriter(
      store.dir,
      () => ({ mode: "normal", notice: undefined, credentialSecondsToExpiry: 3_600, failingSince: undefined, files: daemon.files(), unreadable: daemon.unreadableNow() }),
      () => 0,
      pino({ level: "silent" }),
    );
    const metrics = new ShipMetrics({
      stats: () => ctx.stats,
      files: () => daemon.files(),
      unreadable: () => daemon.unreadableNow(),
      credentialSecondsToExpiry: () => 3_600,
      imdsFailures: () => 0,
      urgent: () => false,
      notice: () => undefined,
    });
    await daemon.start();
    try {
      await expect.poll(() => ctx.stats.lines, { timeout: 3_000 }).toBe(1);
      await writeFile(secret, "secret-line\nmore 1\nmore 2\n");
      await sleep(700);
      status.start(100_000);
      await store.save(state);
      await status.stop();
      const report = await buildStatusReport(store);
      expect(report.files.map((file) => [file.path, file.state, file.bytesBehind])).toEqual([
        [ok, "following", 0],
        [secret, "unreadable", 26],
      ]);
      expect(report.files[1]?.code).toBe("EACCES");
      expect(formatStatusReport(report)).toMatch(/secret\.log +unreadable \(EACCES\) +0 +26 +0 +never/);
      // docs/operations.md's recipe: nothing behind? Not with a file that ships nothing.
      const behind = report.files.reduce((sum, file) => sum + (file.bytesBehind ?? 0) + file.pendingUploads + (file.state === "unreadable" ? 1 : 0), 0);
      expect(behind).toBeGreaterThan(0);

      const samples = parsePrometheusText(await metrics.registry.metrics());
      expect(sampleValue(samples, "ship_logs_file_bytes_behind", { path: secret })).toBe(26);
      expect(sampleValue(samples, "ship_logs_unreadable_files")).toBe(1);
    } finally {
      await daemon.stop(5_000, new AbortController());
    }
  });
});
