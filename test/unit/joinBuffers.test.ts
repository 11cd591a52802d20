import { describe, expect, test } from "vitest";
import { joinBuffers } from "../../src/batch/joinBuffers.js";

describe("joinBuffers", () => {
  // Not from Node's shared pool: a copy must be told from the backing by its ArrayBuffer.
  const backing = Buffer.alloc(32, "0123456789abcdef");

  test("pieces back to back in one ArrayBuffer: a view over them, no copy", () => {
    const joined = joinBuffers([backing.subarray(2, 5), backing.subarray(5, 9), backing.subarray(9, 20)]);
    expect(joined.toString()).toBe("23456789abcdef0123");
    expect(joined.buffer).toBe(backing.buffer);
    expect(joined.byteOffset).toBe(backing.byteOffset + 2);
  });

  test("a gap, an overlap, the wrong order or a second ArrayBuffer: a copy with the same bytes", () => {
    const other = Buffer.alloc(3, "XYZ");
    for (const pieces of [
      [backing.subarray(0, 3), backing.subarray(4, 6)],
      [backing.subarray(0, 3), backing.subarray(2, 6)],
      [backing.subarray(3, 6), backing.subarray(0, 3)],
      [backing.subarray(0, 3), other],
    ]) {
      const joined = joinBuffers(pieces);
      expect(joined.equals(Buffer.concat(pieces))).toBe(true);
      expect(joined.buffer).not.toBe(backing.buffer);
    }
  });

  test("one piece is itself; none is empty", () => {
    const one = backing.subarray(4, 8);
    expect(joinBuffers([one]).equals(one)).toBe(true);
    expect(joinBuffers([one]).buffer).toBe(backing.buffer);
    expect(joinBuffers([])).toHaveLength(0);
  });
});
