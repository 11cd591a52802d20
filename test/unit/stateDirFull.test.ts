import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { notReadyBecause } from "../../src/metrics/notReadyBecause.js";
import type { S3Sink } from "../../src/sink/S3Sink.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { StateSaver } from "../../src/ship/StateSaver.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";

/** A state dir that fills up on demand (tests may run as root, whom a read-only dir does not stop). */
class FillingStore extends StateStore {
  full = false;
  override async save(state: ShipState): Promise<void> {
    if (this.full) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    return super.save(state);
  }
}

describe("a full state dir while the daemon runs", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-logs-statedir-full-"));
    await mkdir(join(dir, "logs"));
    await mkdir(join(dir, "state"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("/readyz is not ready while the state cannot be saved (no upload starts before its intent is saved), and ready once it can", async () => {
    const store = new FillingStore(join(dir, "state"));
    const saver = new StateSaver(store, { files: [] });
    const sources = {
      credentials: { secondsToExpiry: () => 3_600, expiredByHostClock: () => undefined },
      sink: { failingForMs: undefined },
      ctx: { saver },
      stateDir: store.dir,
    };
    await saver.persist();
    expect(notReadyBecause(sources)).toBeUndefined();
    store.full = true;
    await expect(saver.persist()).rejects.toMatchObject({ code: "ENOSPC" });
    expect(notReadyBecause(sources)).toBe(`cannot save state in ${store.dir} (ENOSPC); nothing new is uploaded`);
    store.full = false;
    await saver.persist();
    expect(notReadyBecause(sources)).toBeUndefined();
  });

  it("ship_logs_oldest_pending_seconds counts the lines whose upload intent could not be saved", async () => {
    const store = new FillingStore(join(dir, "state"));
    const state: ShipState = { files: [] };
    const puts: string[] = [];
    const sink = { put: async (object: { key: string }) => void puts.push(object.key), cancelled: false } as unknown as S3Sink;
    const ctx = inProcessContext(store, state, { sink });
    const path = join(dir, "logs", "app.log");
    await writeFile(path, "first\n");
    const daemon = new Daemon(ctx, { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 200, tickMs: 50 });
    await daemon.start();
    try {
      await expect.poll(() => puts.length, { timeout: 3_000 }).toBe(1);
      store.full = true;
      await appendFile(path, "l1\n");
      await sleep(1_500);
      expect(puts).toHaveLength(1);
      const [file] = daemon.files();
      expect(file?.pendingSince, "the line waits: its intent cannot be saved").toBeDefined();
      expect(Date.now() - (file?.pendingSince ?? Date.now())).toBeGreaterThanOrEqual(1_000);
      store.full = false;
      // Retried 5 s after the failure.
      await expect.poll(() => puts.length, { timeout: 8_000 }).toBe(2);
      await expect.poll(() => daemon.files()[0]?.pendingSince, { timeout: 2_000 }).toBeUndefined();
    } finally {
      store.full = false;
      await daemon.stop(5_000, new AbortController());
    }
  }, 20_000);
});
