import { appendFileSync, linkSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import { Daemon } from "../../src/ship/Daemon.js";
import { StateStore } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";
import { inProcessSink } from "../support/inProcessSink.js";

describe("Daemon: a file the globs match under two names loses one of them", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "daemon-other-name-"));
    mkdirSync(join(dir, "logs"));
    mkdirSync(join(dir, "state"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A daemon over logs/*.log, with no rescan during the test: only the files' own events and ticks can bring their lines. */
  async function startDaemon(): Promise<{ daemon: Daemon; lines: () => string[] }> {
    const { sink, received } = inProcessSink();
    const ctx = inProcessContext(new StateStore(join(dir, "state")), { files: [] }, {
      sink,
      buffers: new BatchBuffers(1024 * 1024, 4),
      batchMaxBytes: 1024 * 1024,
    });
    const daemon = new Daemon(ctx, { patterns: [join(dir, "logs", "*.log")], flushIntervalMs: 300, tickMs: 50, rescanMs: 600_000, rotateWaitMs: 200 });
    await daemon.start();
    return { daemon, lines: () => received.flatMap((object) => object.body.toString("utf8").split("\n").filter(Boolean)) };
  }

  const cases: { kind: string; name: (followed: string, other: string) => void; followed: string; other: string }[] = [
    { kind: "a hard link", followed: "a.log", other: "b.log", name: (followed, other) => linkSync(followed, other) },
    { kind: "a symlink beside its target", followed: "a-link.log", other: "z-real.log", name: (followed, other) => symlinkSync(other, followed) },
  ];

  for (const { kind, name, followed, other } of cases) {
    it(`goes on under the other name (${kind}): its next lines wait for the flush interval, not the next rescan`, async () => {
      const followedPath = join(dir, "logs", followed);
      const otherPath = join(dir, "logs", other);
      const target = kind === "a hard link" ? followedPath : otherPath;
      writeFileSync(target, "first\n");
      name(followedPath, otherPath);
      const { daemon, lines } = await startDaemon();
      try {
        await expect.poll(lines, { timeout: 3_000 }).toEqual(["first"]);
        rmSync(followedPath);
        // Past the rotation wait: a tailer drained and released by now would be closed.
        await sleep(1_000);
        appendFileSync(otherPath, "late\n");
        await expect.poll(lines, { timeout: 3_000 }).toEqual(["first", "late"]);
      } finally {
        await daemon.stop(2_000, new AbortController());
      }
      expect(lines()).toEqual(["first", "late"]);
    }, 20_000);
  }

  it("a new file put in place of the followed name (a rename over it) is followed at once, while the old one goes on under its other name", async () => {
    const a = join(dir, "logs", "a.log");
    const b = join(dir, "logs", "b.log");
    writeFileSync(a, "first\n");
    linkSync(a, b);
    const { daemon, lines } = await startDaemon();
    try {
      await expect.poll(lines, { timeout: 3_000 }).toEqual(["first"]);
      writeFileSync(`${a}.tmp`, "new\n");
      renameSync(`${a}.tmp`, a);
      await expect.poll(() => [...lines()].sort(), { timeout: 3_000 }).toEqual(["first", "new"]);
      appendFileSync(b, "late\n");
      await expect.poll(() => [...lines()].sort(), { timeout: 3_000 }).toEqual(["first", "late", "new"]);
    } finally {
      await daemon.stop(2_000, new AbortController());
    }
  }, 20_000);
});
