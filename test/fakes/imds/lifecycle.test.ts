import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeImds } from "../../../src/fakes/imds/FakeImds.js";
import { getToken, imdsGet, imdsText } from "./imdsHttp.js";

const SPOT_PATH = "/latest/meta-data/spot/instance-action";
const TARGET_STATE_PATH = "/latest/meta-data/autoscaling/target-lifecycle-state";
const REBALANCE_PATH = "/latest/meta-data/events/recommendations/rebalance";

describe("fake-imds lifecycle notices", () => {
  const startedAt = Date.UTC(2026, 10, 28, 4, 16, 44);
  let now = startedAt;
  let fake: FakeImds;
  let token: string;

  beforeEach(async () => {
    now = startedAt;
    fake = await FakeImds.start({ now: () => now });
    token = await getToken(fake.endpoint);
  });

  afterEach(async () => {
    await fake.close();
  });

  const status = async (path: string): Promise<number> => (await imdsGet(fake.endpoint, path, token)).status;
  const json = async (path: string): Promise<unknown> => JSON.parse(await imdsText(fake.endpoint, path, token));

  it("publishes a spot interruption two minutes ahead, listed under meta-data once raised", async () => {
    expect(await status(SPOT_PATH)).toBe(404);
    expect((await imdsText(fake.endpoint, "/latest/meta-data/", token)).split("\n")).not.toContain("spot/");

    now += 500; // the notice time is still whole seconds
    fake.raiseSpotInterruption();
    expect(await json(SPOT_PATH)).toEqual({ action: "terminate", time: "2026-11-28T04:18:44Z" });
    expect((await imdsText(fake.endpoint, "/latest/meta-data/", token)).split("\n")).toContain("spot/");
    expect(await imdsText(fake.endpoint, "/latest/meta-data/spot/", token)).toBe("instance-action");

    fake.raiseSpotInterruption("hibernate");
    expect(await json(SPOT_PATH)).toMatchObject({ action: "hibernate" });
  });

  it("reports InService until the target lifecycle state is set", async () => {
    expect(await imdsText(fake.endpoint, "/latest/meta-data/autoscaling/", token)).toBe("target-lifecycle-state");
    expect(await imdsText(fake.endpoint, TARGET_STATE_PATH, token)).toBe("InService");
    fake.setTargetLifecycleState("Terminated");
    expect(await imdsText(fake.endpoint, TARGET_STATE_PATH, token)).toBe("Terminated");
  });

  it("publishes a rebalance recommendation", async () => {
    expect(await status(REBALANCE_PATH)).toBe(404);
    fake.raiseRebalanceRecommendation();
    expect(await json(REBALANCE_PATH)).toEqual({ noticeTime: "2026-11-28T04:16:44Z" });
    expect(await imdsText(fake.endpoint, "/latest/meta-data/events/recommendations/", token)).toBe("rebalance");
    expect((await imdsText(fake.endpoint, "/latest/meta-data/", token)).split("\n")).toContain("events/");
  });

  it("clearNotices() withdraws every notice", async () => {
    fake.raiseSpotInterruption("stop");
    fake.raiseRebalanceRecommendation();
    fake.setTargetLifecycleState("Terminated");
    fake.clearNotices();
    expect(await status(SPOT_PATH)).toBe(404);
    expect(await status(REBALANCE_PATH)).toBe(404);
    expect(await imdsText(fake.endpoint, TARGET_STATE_PATH, token)).toBe("InService");
  });

  it("still requires a token for notices", async () => {
    fake.raiseSpotInterruption();
    expect((await imdsGet(fake.endpoint, SPOT_PATH)).status).toBe(401);
  });

  it("logs requests without token values and counts them by filter", async () => {
    await imdsGet(fake.endpoint, SPOT_PATH);
    await imdsGet(fake.endpoint, SPOT_PATH, "bogus");
    await imdsGet(fake.endpoint, TARGET_STATE_PATH, token);
    expect(fake.requests.slice(1)).toEqual([
      { at: new Date(startedAt), method: "GET", path: SPOT_PATH, tokenPresent: false, tokenValid: false, status: 401 },
      { at: new Date(startedAt), method: "GET", path: SPOT_PATH, tokenPresent: true, tokenValid: false, status: 401 },
      { at: new Date(startedAt), method: "GET", path: TARGET_STATE_PATH, tokenPresent: true, tokenValid: true, status: 200 },
    ]);
    expect(fake.countRequests({ status: 401 })).toBe(2);
    expect(fake.countRequests({ path: /autoscaling/ })).toBe(1);
    expect(fake.countRequests((record) => record.tokenPresent)).toBe(2);
    expect(JSON.stringify(fake.requests)).not.toContain(token);
  });
});
