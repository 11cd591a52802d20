import { describe, expect, it } from "vitest";
import { isWithin } from "../../src/source/isWithin.js";

describe("isWithin", () => {
  it("holds for the directory itself and what is below it", () => {
    expect(isWithin("/var/log", "/var/log")).toBe(true);
    expect(isWithin("/var/log/app/a.log", "/var/log")).toBe(true);
    expect(isWithin("/var/log", "/")).toBe(true);
    expect(isWithin("/", "/")).toBe(true);
  });

  it("does not hold for a sibling that shares the prefix, or for a parent", () => {
    expect(isWithin("/var/log2/a.log", "/var/log")).toBe(false);
    expect(isWithin("/var", "/var/log")).toBe(false);
  });
});
