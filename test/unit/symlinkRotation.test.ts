import { appendFileSync, copyFileSync, mkdirSync, renameSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import type { S3Object, S3Sink } from "../../src/sink/S3Sink.js";
import { Daemon, type DaemonOptions } from "../../src/ship/Daemon.js";
import type { ShipContext } from "../../src/ship/ShipContext.js";
import { shipOnce, type OnceSummary } from "../../src/ship/shipOnce.js";
import { openFile } from "../../src/source/openFile.js";
import { realDirOf } from "../../src/source/realDirOf.js";
import { StateStore, type ShipState } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";
import { inProcessSink } from "../support/inProcessSink.js";

/*
 * A watched path that is a symlink into another directory: Kubernetes'
 * /var/log/containers/*.log -> /var/log/pods/<pod>/<container>/0.log. The
 * runtime rotates the target there, so its rename or copytruncate copy is
 * found only by looking where the file really lives.
 */
let dir: string;
let links: string;
let pods: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "symlink-rotation-"));
  links = join(dir, "containers");
  pods = join(dir, "pods");
  mkdirSync(links);
  mkdirSync(pods);
  mkdirSync(join(dir, "state"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("realDirOf", () => {
  const dirOf = async (path: string) => {
    const file = await openFile(path);
    try {
      return await realDirOf(file);
    } finally {
      await file.handle.close();
    }
  };

  it("is the target's directory for a symlink to a file elsewhere, and nothing for a file in its path's own directory", async () => {
    writeFileSync(join(pods, "0.log"), "x\n");
    symlinkSync(join(pods, "0.log"), join(links, "app.log"));
    symlinkSync("0.log", join(pods, "same-dir.log"));
    symlinkSync(pods, join(dir, "pods-link"));
    expect(await dirOf(join(links, "app.log"))).toBe(pods);
    expect(await dirOf(join(pods, "0.log"))).toBeUndefined();
    expect(await dirOf(join(pods, "same-dir.log"))).toBeUndefined();
    // A symlinked directory: a search of the path's directory reads the same one.
    expect(await dirOf(join(dir, "pods-link", "0.log"))).toBeUndefined();
  });

  it("is the directory of the file opened, not of what the link points to since", async () => {
    writeFileSync(join(pods, "0.log"), "x\n");
    mkdirSync(join(dir, "elsewhere"));
    writeFileSync(join(dir, "elsewhere", "1.log"), "y\n");
    symlinkSync(join(pods, "0.log"), join(links, "app.log"));
    const file = await openFile(join(links, "app.log"));
    try {
      await rm(join(links, "app.log"));
      symlinkSync(join(dir, "elsewhere", "1.log"), join(links, "app.log"));
      expect(await realDirOf(file)).toBe(pods);
    } finally {
      await file.handle.close();
    }
  });
});

describe("--once (shipOnce), the target rotated between two runs", () => {
  let stored: Map<string, string[]>;
  beforeEach(() => {
    stored = new Map();
  });

  async function run(patterns: string[]): Promise<OnceSummary> {
    const store = new StateStore(join(dir, "state"));
    await store.init();
    const { sink, received } = inProcessSink();
    const summary = await shipOnce(inProcessContext(store, await store.load(), { sink }), patterns);
    for (const object of received) stored.set(object.key, object.body.toString("utf8").split("\n").filter(Boolean));
    return summary;
  }

  it("lines written to the symlink's target before it is renamed away between runs are shipped", async () => {
    writeFileSync(join(pods, "0.log"), "a1\n");
    symlinkSync(join(pods, "0.log"), join(links, "app.log"));
    expect((await run([join(links, "*.log")])).failures).toEqual([]);
    // Between runs: the writer appends, then rotates its file by rename, as kubelet does.
    appendFileSync(join(pods, "0.log"), "a2\n");
    renameSync(join(pods, "0.log"), join(pods, "0.log.20250101"));
    writeFileSync(join(pods, "0.log"), "b1\n");
    const second = await run([join(links, "*.log")]);
    const lines = [...stored.values()].flat().sort();
    expect({ lines, failures: second.failures }).toEqual({ lines: ["a1", "a2", "b1"], failures: [] });
  });
});

describe("Daemon", () => {
  function context(state: ShipState, bodies: string[]): ShipContext {
    const sink = { put: async (object: S3Object) => void bodies.push(Buffer.from(object.body).toString("utf8")) } as S3Sink;
    return inProcessContext(new StateStore(join(dir, "state")), state, { sink, buffers: new BatchBuffers(1024, 4), batchMaxBytes: 1024 });
  }

  function daemonOf(ctx: ShipContext, options: Partial<DaemonOptions> = {}): Daemon {
    return new Daemon(ctx, { patterns: [join(links, "*.log")], flushIntervalMs: 1_500, tickMs: 50, rescanMs: 400, rotateWaitMs: 200, ...options });
  }

  async function waitFor(condition: () => boolean, what: string): Promise<void> {
    for (const deadline = Date.now() + 5_000; !condition(); await sleep(20)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    }
  }

  it("copytruncate of the symlink's target while the daemon runs: the lines not read yet come from the copy", async () => {
    const bodies: string[] = [];
    const state: ShipState = { files: [] };
    writeFileSync(join(pods, "0.log"), "shipped\n");
    symlinkSync(join(pods, "0.log"), join(links, "app.log"));
    const daemon = daemonOf(context(state, bodies));
    await daemon.start();
    await waitFor(() => bodies.join("").includes("shipped"), "shipped");
    // Written, not yet read (flush interval 1.5 s), then copytruncated.
    appendFileSync(join(pods, "0.log"), "unread\n");
    copyFileSync(join(pods, "0.log"), join(pods, "0.log.1"));
    truncateSync(join(pods, "0.log"), 0);
    appendFileSync(join(pods, "0.log"), "after\n");
    await sleep(3_000);
    await daemon.stop(2_000, new AbortController());
    const lines = bodies.join("").split("\n").filter(Boolean).sort();
    expect(lines).toEqual(["after", "shipped", "unread"]);
  }, 20_000);

  it("the symlink's target renamed away while the daemon is stopped: the next start finishes it", async () => {
    const bodies: string[] = [];
    const state: ShipState = { files: [] };
    writeFileSync(join(pods, "0.log"), "a1\n");
    symlinkSync(join(pods, "0.log"), join(links, "app.log"));
    const first = daemonOf(context(state, bodies));
    await first.start();
    await waitFor(() => bodies.join("").includes("a1"), "a1");
    await first.stop(2_000, new AbortController());
    appendFileSync(join(pods, "0.log"), "a2\n");
    renameSync(join(pods, "0.log"), join(pods, "0.log.20250101"));
    writeFileSync(join(pods, "0.log"), "b1\n");
    const second = daemonOf(context(state, bodies));
    await second.start();
    await sleep(2_500);
    await second.stop(2_000, new AbortController());
    expect(bodies.join("").split("\n").filter(Boolean).sort()).toEqual(["a1", "a2", "b1"]);
  }, 20_000);
});
