import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { instanceMetadata, type InstanceMetadata } from "../../src/credentials/instanceMetadata.js";
import { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import { LifecycleWatcher } from "../../src/lifecycle/LifecycleWatcher.js";
import { parseRebalance, parseTargetLifecycleState } from "../../src/lifecycle/parseNotice.js";

/** IMDS paths as a map the test edits; a missing path answers 404, "fail" answers 500. */
function metadata(paths: Map<string, string>): InstanceMetadata {
  return {
    get: async (path) => {
      const body = paths.get(path);
      if (body === "fail") throw Object.assign(new Error("500"), { $metadata: { httpStatusCode: 500 } });
      if (body === undefined) throw Object.assign(new Error("404"), { $metadata: { httpStatusCode: 404 } });
      return body;
    },
  };
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
};

describe("LifecycleWatcher", () => {
  it("acts on a spot notice once, and resumes when a hibernated instance's notice is withdrawn", async () => {
    const paths = new Map([["meta-data/autoscaling/target-lifecycle-state", "InService"]]);
    const events: string[] = [];
    const watcher = new LifecycleWatcher({
      metadata: metadata(paths),
      logger: pino({ level: "silent" }),
      flushOnRebalance: false,
      intervalMs: 10,
      onTerminating: (notice) => events.push(`terminating:${notice.detail}`),
      onResumed: () => events.push("resumed"),
    });
    watcher.start();
    try {
      paths.set("meta-data/spot/instance-action", JSON.stringify({ action: "hibernate", time: "2026-11-28T05:00:00Z" }));
      await until(() => events.length === 1);
      expect(watcher.notice?.kind).toBe("spot-interruption");
      // IMDS failing is no proof the notice is gone.
      paths.set("meta-data/spot/instance-action", "fail");
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(events).toEqual(["terminating:hibernate"]);
      paths.delete("meta-data/spot/instance-action");
      await until(() => events.length === 2);
      expect(events).toEqual(["terminating:hibernate", "resumed"]);
      expect(watcher.notice).toBeUndefined();
    } finally {
      watcher.stop();
    }
  });

  it("goes on polling while IMDS leaves an earlier answer unfinished for good, and acts on the notice that comes next", async () => {
    const imds = await FakeImds.start();
    const events: string[] = [];
    const watcher = new LifecycleWatcher({
      metadata: instanceMetadata({ endpoint: imds.endpoint, timeoutMs: 100 }),
      logger: pino({ level: "silent" }),
      flushOnRebalance: false,
      intervalMs: 50,
      onTerminating: (notice) => events.push(`terminating:${notice.detail}`),
      onResumed: () => events.push("resumed"),
    });
    try {
      // The answers of the first four seconds never end (a dozen reads, each
      // abandoned at its 400 ms deadline); later ones do.
      imds.stallBodies(4_000, false);
      watcher.start();
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      imds.raiseSpotInterruption();
      await expect.poll(() => events, { timeout: 5_000 }).toEqual(["terminating:terminate"]);
    } finally {
      watcher.stop();
      await imds.close();
    }
  });

  it("reports a rebalance recommendation without acting unless told to", async () => {
    const paths = new Map([["meta-data/events/recommendations/rebalance", JSON.stringify({ noticeTime: "2026-11-28T05:00:00Z" })]]);
    for (const flushOnRebalance of [false, true]) {
      const events: string[] = [];
      const watcher = new LifecycleWatcher({
        metadata: metadata(paths),
        logger: pino({ level: "silent" }),
        flushOnRebalance,
        intervalMs: 10,
        onTerminating: () => events.push("terminating"),
        onResumed: () => events.push("resumed"),
      });
      watcher.start();
      await until(() => watcher.notice !== undefined);
      await new Promise((resolve) => setTimeout(resolve, 40));
      watcher.stop();
      expect(events).toEqual(flushOnRebalance ? ["terminating"] : []);
    }
  });

  it("names the spot interruption, not a rebalance recommendation that comes with it", async () => {
    const paths = new Map([
      ["meta-data/spot/instance-action", JSON.stringify({ action: "terminate", time: "2026-11-28T05:02:00Z" })],
      ["meta-data/events/recommendations/rebalance", JSON.stringify({ noticeTime: "2026-11-28T05:00:00Z" })],
    ]);
    const events: string[] = [];
    const watcher = new LifecycleWatcher({
      metadata: metadata(paths),
      logger: pino({ level: "silent" }),
      flushOnRebalance: true,
      intervalMs: 10,
      onTerminating: (notice) => events.push(notice.kind),
      onResumed: () => events.push("resumed"),
    });
    watcher.start();
    try {
      await until(() => watcher.notice !== undefined);
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(watcher.notice).toEqual({ kind: "spot-interruption", detail: "terminate", deadline: "2026-11-28T05:02:00Z" });
      expect(events).toEqual(["spot-interruption"]);
    } finally {
      watcher.stop();
    }
  });

  it("asks IMDS nothing more once stopped, even in the middle of a round", async () => {
    const asked: string[] = [];
    let watcher: LifecycleWatcher | undefined;
    const stalling: InstanceMetadata = {
      get: async (path) => {
        asked.push(path);
        watcher?.stop();
        throw Object.assign(new Error("404"), { $metadata: { httpStatusCode: 404 } });
      },
    };
    watcher = new LifecycleWatcher({
      metadata: stalling,
      logger: pino({ level: "silent" }),
      flushOnRebalance: false,
      intervalMs: 10,
      onTerminating: () => undefined,
      onResumed: () => undefined,
    });
    watcher.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(asked).toEqual(["meta-data/spot/instance-action"]);
  });
});

describe("parseNotice", () => {
  it("takes a warm pool's Warmed:Terminated as a scale-in, and no other state", () => {
    expect(parseTargetLifecycleState("Terminated\n")).toMatchObject({ kind: "scale-in", detail: "Terminated" });
    expect(parseTargetLifecycleState("Warmed:Terminated")).toMatchObject({ kind: "scale-in", detail: "Warmed:Terminated" });
    for (const state of ["InService", "Warmed:Stopped", "Warmed:Running", "Detached", ""]) expect(parseTargetLifecycleState(state)).toBeUndefined();
  });

  it("gives a rebalance recommendation no deadline: its time is when it was made", () => {
    expect(parseRebalance(JSON.stringify({ noticeTime: "2026-11-28T05:00:00Z" }))).toEqual({
      kind: "rebalance",
      detail: "recommendation made 2026-11-28T05:00:00Z",
      deadline: undefined,
    });
  });
});
