import { lstat, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FileLag } from "../../src/ship/Daemon.js";
import { RUNTIME_STATUS_FILE, type RuntimeStatus } from "../../src/status/RuntimeStatus.js";
import { StatusWriter } from "../../src/status/StatusWriter.js";

describe("StatusWriter", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "status-writer-"));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes that overlap (the interval's and the stop's) leave whole JSON: the last one's", async () => {
    // Each snapshot is shorter than the one before: a write into the temporary
    // file while another is in it would leave the longer one's tail behind.
    let files = 40;
    const writer = new StatusWriter(
      dir,
      () => {
        files -= 1;
        const lag: FileLag[] = Array.from({ length: files }, (_, i) => ({ path: `/var/log/app-${i}.log`, dev: "2049", ino: String(1000 + i), bytesBehind: 0, pendingSince: undefined, detached: false }));
        return { mode: "normal", notice: undefined, credentialSecondsToExpiry: 3_600, failingSince: undefined, files: lag };
      },
      () => 0,
      pino({ level: "silent" }),
    );
    writer.start(60_000);
    await Promise.all([writer.stop(), writer.stop(), writer.stop(), writer.stop()]);
    const status = JSON.parse(await readFile(join(dir, RUNTIME_STATUS_FILE), "utf8")) as RuntimeStatus;
    expect(status.files).toHaveLength(35);
  });

  it("never writes through a link planted at its temp file's name (a fixed one)", async () => {
    const victim = join(dir, "victim");
    await writeFile(victim, "content\n", { mode: 0o644 });
    await symlink(victim, join(dir, `${RUNTIME_STATUS_FILE}.tmp`));
    const writer = new StatusWriter(
      dir,
      () => ({ mode: "normal", notice: undefined, credentialSecondsToExpiry: 3_600, failingSince: undefined, files: [] }),
      () => 0,
      pino({ level: "silent" }),
    );
    await writer.stop();
    expect(await readFile(victim, "utf8")).toBe("content\n");
    const path = join(dir, RUNTIME_STATUS_FILE);
    expect((await lstat(path)).isFile()).toBe(true);
    expect((JSON.parse(await readFile(path, "utf8")) as RuntimeStatus).mode).toBe("normal");
  });

  it("PUTs in the last hour count every PUT of the last seconds after the wall clock stepped forward two hours", async () => {
    let objects = 0;
    const writer = new StatusWriter(
      dir,
      () => ({ mode: "normal", notice: undefined, credentialSecondsToExpiry: 3_600, failingSince: undefined, files: [] }),
      () => objects,
      pino({ level: "silent" }),
    );
    writer.start(60_000);
    await writer.stop();
    objects = 2;
    await writer.stop();
    // NTP (or a VM restored from a snapshot) steps the wall clock: no time has passed.
    const wallClock = Date.now.bind(Date);
    vi.spyOn(Date, "now").mockImplementation(() => wallClock() + 2 * 3_600_000);
    objects = 3;
    await writer.stop();
    const status = JSON.parse(await readFile(join(dir, RUNTIME_STATUS_FILE), "utf8")) as RuntimeStatus;
    expect(status.putsLastHour).toBe(3);
  });
});
