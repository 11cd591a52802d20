import { describe, expect, it } from "vitest";
import { bytesBehind } from "../../src/source/bytesBehind.js";

describe("bytesBehind", () => {
  it("is what the file holds past its checkpoint", () => {
    expect(bytesBehind(100, 40)).toBe(60);
    expect(bytesBehind(40, 40)).toBe(0);
  });

  it("is the whole file once it is shorter than its checkpoint (truncated and written again)", () => {
    expect(bytesBehind(30, 40)).toBe(30);
    expect(bytesBehind(0, 40)).toBe(0);
  });
});
