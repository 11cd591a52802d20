import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import type { S3Sink } from "../../src/sink/S3Sink.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";

/** Once set, the new app.log cannot be opened, as a file logrotate creates 0640 root:adm for a service user outside adm. */
const refusing = { on: false };
vi.mock("../../src/source/openFile.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/source/openFile.js")>();
  return {
    ...original,
    openFile: async (...args: Parameters<typeof original.openFile>) => {
      const [path] = args;
      if (refusing.on && path.endsWith("app.log")) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" });
      return original.openFile(...args);
    },
  };
});

describe("Daemon: an unreadable new file at a rotated path", () => {
  it("is shown unreadable while the rotated file is still read to its end (S3 down: it is not let go)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "unreadable-rotation-"));
    await mkdir(join(dir, "logs"));
    await mkdir(join(dir, "state"));
    const state: ShipState = { files: [] };
    let release = (): void => undefined;
    const down = new Promise<void>((resolve) => (release = resolve));
    const sink = { put: async (): Promise<void> => await down } as unknown as S3Sink;
    const ctx = inProcessContext(new StateStore(join(dir, "state")), state, { sink });
    const app = join(dir, "logs", "app.log");
    await writeFile(app, "line 1\n");
    const daemon = new Daemon(ctx, { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 100, tickMs: 50, rescanMs: 300 });
    await daemon.start();
    try {
      await sleep(400);
      await rename(app, join(dir, "logs", "app.log.1"));
      refusing.on = true;
      await writeFile(app, "secret new content\n");
      await sleep(1_500);
      // The rotated file's checkpoint still names app.log until it is let go.
      expect(state.files.map((checkpoint) => checkpoint.path)).toContain(app);
      expect(daemon.unreadableNow()).toEqual([{ path: app, code: "EACCES", size: 19 }]);
    } finally {
      refusing.on = false;
      release();
      await daemon.stop(2_000, new AbortController());
      await rm(dir, { recursive: true, force: true });
    }
  });
});
