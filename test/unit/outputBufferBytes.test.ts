import { describe, expect, test } from "vitest";
import { MAX_OUTPUT_BUFFER_BYTES, MIN_OUTPUT_BUFFER_BYTES, outputBufferBytes } from "../../src/batch/outputBufferBytes.js";

describe("outputBufferBytes", () => {
  test("an eighth above the expected body, plus room for gzip's header and trailer", () => {
    expect(outputBufferBytes(8 * 1024 * 1024, 0.125)).toBe(1024 * 1024 + 128 * 1024 + 1024);
    expect(outputBufferBytes(8 * 1024 * 1024, 1)).toBe(9 * 1024 * 1024 + 1024);
  });

  test("after a batch of a few bytes, whose gzip is many times larger, the next gets no more than a body as large as its range", () => {
    // A lone "\n" gzips to 21 bytes: ratio 21.
    expect(outputBufferBytes(8 * 1024 * 1024, 21)).toBe(9 * 1024 * 1024 + 1024);
  });

  test("a batch of gigabytes gets a bounded buffer; its body spans several", () => {
    expect(outputBufferBytes(4 * 1024 * 1024 * 1024, 0.2)).toBe(MAX_OUTPUT_BUFFER_BYTES);
  });

  test("a small flush gets the floor, not a buffer of its few lines", () => {
    expect(outputBufferBytes(200, 0.5)).toBe(MIN_OUTPUT_BUFFER_BYTES);
    expect(outputBufferBytes(0, 0.25)).toBe(MIN_OUTPUT_BUFFER_BYTES);
  });
});
