import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { cutParts } from "../../src/sink/cutParts.js";

async function* chunks(list: readonly Buffer[]): AsyncGenerator<Buffer> {
  // One buffer, overwritten for every chunk: what readRangeChunks does.
  const shared = Buffer.alloc(Math.max(1, ...list.map((chunk) => chunk.length)));
  for (const chunk of list) {
    chunk.copy(shared);
    yield shared.subarray(0, chunk.length);
    shared.fill(0xee);
  }
}

/** Parts as the consumer sees them, copied before the next is asked for (the part buffer is reused). */
async function collect(source: AsyncIterable<Buffer>, partBytes: number): Promise<Array<{ data: Buffer; last: boolean }>> {
  const parts: Array<{ data: Buffer; last: boolean }> = [];
  for await (const { data, last } of cutParts(source, partBytes)) parts.push({ data: Buffer.from(data), last });
  return parts;
}

describe("cutParts", () => {
  test("every part but the last is exactly partBytes; only the last says so; bytes and order are kept", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }).map(Buffer.from), { maxLength: 12 }), fc.integer({ min: 1, max: 33 }), async (list, partBytes) => {
        const parts = await collect(chunks(list), partBytes);
        expect(Buffer.concat(parts.map((part) => part.data)).equals(Buffer.concat(list))).toBe(true);
        expect(parts.map((part) => part.last)).toEqual(parts.map((_, index) => index === parts.length - 1));
        for (const part of parts.slice(0, -1)) expect(part.data.length).toBe(partBytes);
        const lastLength = parts.at(-1)?.data.length ?? -1;
        expect(lastLength).toBeLessThanOrEqual(partBytes);
        // A full last part is still announced as the last one, never followed by an empty part.
        if (parts.length > 1) expect(lastLength).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  test("an empty stream is one empty last part; an exact multiple ends with a full last part", async () => {
    expect(await collect(chunks([]), 4)).toEqual([{ data: Buffer.alloc(0), last: true }]);
    const parts = await collect(chunks([Buffer.from("abcdef"), Buffer.from("gh")]), 4);
    expect(parts).toEqual([
      { data: Buffer.from("abcd"), last: false },
      { data: Buffer.from("efgh"), last: true },
    ]);
  });
});
