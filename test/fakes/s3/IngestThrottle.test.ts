import { expect, test } from "vitest";
import { IngestThrottle } from "../../../src/fakes/s3/IngestThrottle.js";

test("reservations share one timeline at the configured rate", () => {
  let now = 0;
  const throttle = new IngestThrottle(1000, () => now);
  expect(throttle.reserve(500)).toBe(500);
  expect(throttle.reserve(500)).toBe(1000);
  now = 2000;
  // Idle time is not banked: a burst after a pause still waits for its own bytes.
  expect(throttle.reserve(100)).toBe(100);
  expect(() => new IngestThrottle(0)).toThrow(RangeError);
});
