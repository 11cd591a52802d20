import { appendFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ShipMetrics } from "../../src/metrics/ShipMetrics.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { StateStore } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";
import { inProcessSink } from "../support/inProcessSink.js";

/*
 * NTP (chrony's makestep, a VM restored from a snapshot) steps the wall clock
 * while lines wait. --flush-interval is the longest a line waits and the least
 * time between a file's PUTs, whatever the wall clock does: measured with it,
 * a step back of a minute held the line a minute more (and showed its age as
 * 0), a step forward sent it at once.
 */
describe("Daemon: a step of the wall clock while a line waits", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "daemon-clock-step-"));
    await mkdir(join(dir, "logs"));
    await mkdir(join(dir, "state"));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ["back", -60_000],
    ["forward", 60_000],
  ])("a step %s by a minute: the line goes up at --flush-interval after it was seen, and its age is its age", async (_direction, stepMs) => {
    // The wall clock everything reads, stepped below; the test's own clock
    // must not step: performance.now().
    const wallClock = Date.now.bind(Date);
    let wallStepMs = 0;
    vi.spyOn(Date, "now").mockImplementation(() => wallClock() + wallStepMs);
    const log = join(dir, "logs", "app.log");
    await appendFile(log, "");
    const { sink, received } = inProcessSink();
    const ctx = inProcessContext(new StateStore(join(dir, "state")), { files: [] }, { sink });
    const daemon = new Daemon(ctx, { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 1_000, tickMs: 100, rescanMs: 600_000 });
    const metrics = new ShipMetrics({
      stats: () => ctx.stats,
      files: () => daemon.files(),
      credentialSecondsToExpiry: () => 3_600,
      imdsFailures: () => 0,
      urgent: () => false,
      notice: () => undefined,
    });
    const oldestPendingSeconds = async (): Promise<number | undefined> =>
      (await metrics.registry.getMetricsAsJSON()).find((metric) => metric.name === "ship_logs_oldest_pending_seconds")?.values[0]?.value;
    await daemon.start();
    try {
      await sleep(300);
      const writtenAt = performance.now();
      await appendFile(log, "a1\n");
      await expect.poll(() => daemon.files()[0]?.pendingSince, { timeout: 900, interval: 10 }).toBeDefined();
      wallStepMs = stepMs;

      await sleep(Math.max(0, writtenAt + 600 - performance.now()));
      const age = (await oldestPendingSeconds()) ?? -1;
      const since = (performance.now() - writtenAt) / 1_000;
      expect(received).toHaveLength(0);
      // Seen up to a file event or a tick (100 ms) after the write.
      expect(age).toBeGreaterThan(since - 0.25);
      expect(age).toBeLessThanOrEqual(since + 0.01);

      await expect.poll(() => received.length, { timeout: 3_000, interval: 10 }).toBe(1);
      const waited = performance.now() - writtenAt;
      expect(received[0]?.body.toString("utf8")).toBe("a1\n");
      expect(waited).toBeGreaterThanOrEqual(950);
      expect(waited).toBeLessThan(1_700);
      expect(await oldestPendingSeconds()).toBe(0);
    } finally {
      vi.restoreAllMocks();
      await daemon.stop(1_000, new AbortController());
    }
  });
});
