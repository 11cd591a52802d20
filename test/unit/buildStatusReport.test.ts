import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileCheckpoint } from "../../src/source/FileCheckpoint.js";
import { StateStore } from "../../src/source/StateStore.js";
import { buildStatusReport } from "../../src/status/buildStatusReport.js";
import { RUNTIME_STATUS_FILE, type RuntimeStatus } from "../../src/status/RuntimeStatus.js";
import type { FileLag } from "../../src/ship/Daemon.js";

describe("buildStatusReport", () => {
  let dir: string;
  let store: StateStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ship-logs-status-"));
    store = new StateStore(join(dir, "state"));
    await store.init();
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function checkpointOf(path: string, offset: number): Promise<FileCheckpoint> {
    const info = await stat(path, { bigint: true });
    return { sourceId: "0123456789ab", path, dev: info.dev.toString(), ino: info.ino.toString(), fingerprint: "", fingerprintLength: 0, offset, pending: [] };
  }

  /** The runtime status a daemon running in this process would have written. */
  async function running(files: FileLag[]): Promise<void> {
    const now = new Date().toISOString();
    const status: RuntimeStatus = { pid: process.pid, startedAt: now, updatedAt: now, mode: "normal", notice: undefined, putsLastHour: 0, credentialSecondsToExpiry: 3_600, failingSince: undefined, files };
    await writeFile(join(store.dir, RUNTIME_STATUS_FILE), JSON.stringify(status));
  }

  it.each([
    ["of the wrong shape", JSON.stringify({ pid: process.pid, updatedAt: new Date().toISOString() })],
    ["whose files are not file entries", JSON.stringify({ pid: process.pid, startedAt: "x", updatedAt: new Date().toISOString(), mode: "normal", putsLastHour: 0, files: [1] })],
    ["that is not JSON", "{"],
  ])("a status.json %s is not a ship-logs status file: reported without runtime data, the checkpoints still listed", async (_, text) => {
    const a = join(dir, "a.log");
    await writeFile(a, "shipped\n");
    await store.save({ files: [await checkpointOf(a, 8)] });
    await writeFile(join(store.dir, RUNTIME_STATUS_FILE), text);
    const report = await buildStatusReport(store);
    expect(report.daemon).toBeUndefined();
    expect(report.runtimeProblem).toBe("status.json is not a ship-logs status file");
    expect(report.files.map((file) => [file.path, file.state, file.bytesBehind])).toEqual([[a, "following", 0]]);
  });

  it("a status.json a daemon wrote is read as such", async () => {
    await running([]);
    const report = await buildStatusReport(store);
    expect(report.runtimeProblem).toBeUndefined();
    expect(report.daemon).toMatchObject({ pid: process.pid, running: true });
  });

  it("lists a file the running daemon follows but has no checkpoint of yet, with its lines behind", async () => {
    const a = join(dir, "a.log");
    const b = join(dir, "b.log");
    await writeFile(a, "shipped\n");
    await writeFile(b, "x".repeat(991) + "\n");
    await store.save({ files: [await checkpointOf(a, 8)] });
    const lagOf = async (path: string, bytesBehind: number): Promise<FileLag> => {
      const info = await stat(path, { bigint: true });
      return { path, dev: info.dev.toString(), ino: info.ino.toString(), bytesBehind, pendingSince: undefined, detached: false };
    };
    await running([await lagOf(a, 0), await lagOf(b, 992)]);
    const report = await buildStatusReport(store);
    expect(report.files.map((file) => [file.path, file.state, file.bytesBehind])).toEqual([
      [a, "following", 0],
      [b, "following", 992],
    ]);
  });

  it("shows a file rotated away before its first checkpoint as moved, not as a second file following its path", async () => {
    const a = join(dir, "app.log");
    await writeFile(a, "old\n");
    const old = await stat(a, { bigint: true });
    await writeFile(join(dir, "app.log.1"), "");
    const lagOf = (dev: bigint, ino: bigint, detached: boolean): FileLag => ({
      path: a,
      dev: dev.toString(),
      ino: ino.toString(),
      bytesBehind: 4,
      pendingSince: undefined,
      detached,
    });
    const other = await stat(join(dir, "app.log.1"), { bigint: true });
    await running([lagOf(old.dev, old.ino, true), lagOf(other.dev, other.ino, false)]);
    expect((await buildStatusReport(store)).files.map((file) => file.state).sort()).toEqual(["following", "moved"]);
  });

  it("counts a file shorter than its checkpoint (copytruncated and written again) as behind by all it holds", async () => {
    const a = join(dir, "a.log");
    await writeFile(a, "new after the truncation\n");
    await store.save({ files: [await checkpointOf(a, 394)] });
    const [file] = (await buildStatusReport(store)).files;
    expect(file?.bytesBehind).toBe("new after the truncation\n".length);
  });
});
