import { expect, test } from "vitest";
import { FaultSchedule } from "../../../src/fakes/s3/FaultSchedule.js";

const PUT = { method: "PUT", key: "k" };

test("times counts matching requests only; the earliest injected fault wins", () => {
  const schedule = new FaultSchedule(() => 0);
  schedule.add({ kind: "error", status: 503, code: "SlowDown", times: 2 });
  schedule.add({ kind: "error", status: 500, code: "InternalError", times: 1 });
  expect(schedule.take(["error"], { method: "GET", key: "k" })).toBeUndefined();
  expect(schedule.take(["reset"], PUT)).toBeUndefined();
  expect([1, 2, 3, 4].map(() => schedule.take(["error"], PUT)?.code)).toEqual(["SlowDown", "SlowDown", "InternalError", undefined]);
});

test("forMs arms error and reset faults for a window; a stall's forMs is its hold time", () => {
  let now = 1000;
  const schedule = new FaultSchedule(() => now);
  schedule.add({ kind: "reset", forMs: 100 });
  schedule.add({ kind: "stall", forMs: 50 });
  expect(schedule.take(["reset"], PUT)?.kind).toBe("reset");
  now = 1100;
  expect(schedule.take(["reset"], PUT)).toBeUndefined();
  now = 99_999;
  expect(schedule.take(["stall"], PUT)).toEqual({ kind: "stall", forMs: 50 });
});

test("deny matches PutObject under its prefix and stays until cleared", () => {
  const schedule = new FaultSchedule(() => 0);
  schedule.add({ kind: "deny", keyPrefix: "a/" });
  expect(schedule.take(["deny"], { method: "PUT", key: "b/1" })).toBeUndefined();
  expect(schedule.take(["deny"], { method: "GET", key: "a/1" })).toBeUndefined();
  expect(schedule.take(["deny"], { method: "PUT", key: "a/1" })?.kind).toBe("deny");
  expect(schedule.take(["deny"], { method: "PUT", key: "a/2" })?.kind).toBe("deny");
  schedule.clear();
  expect(schedule.take(["deny"], { method: "PUT", key: "a/1" })).toBeUndefined();
});
