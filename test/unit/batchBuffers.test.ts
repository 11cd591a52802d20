import { constants } from "node:buffer";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";

describe("BatchBuffers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lends buffers of its size and lends a given-back one again instead of allocating", async () => {
    const pool = new BatchBuffers(64, 4);
    const first = await pool.take();
    const second = await pool.take();
    expect(first.length).toBe(64);
    expect(second).not.toBe(first);
    pool.give(first);
    expect(await pool.take()).toBe(first);
  });

  it("an allocation that fails does not count as lent: the next taker gets the same error, not a wait that never ends", async () => {
    const pool = new BatchBuffers(constants.MAX_LENGTH + 1, 1);
    await expect(pool.take()).rejects.toThrow(RangeError);
    await expect(pool.take()).rejects.toThrow(RangeError);
  });

  it("lends at most `limit` at once: the next taker waits for one to come back, first come first served", async () => {
    const pool = new BatchBuffers(64, 2);
    const a = await pool.take();
    await pool.take();
    const order: string[] = [];
    const third = pool.take().then((buffer) => (order.push("third"), buffer));
    const fourth = pool.take().then((buffer) => (order.push("fourth"), buffer));
    await Promise.resolve();
    expect(order).toEqual([]);
    pool.give(a);
    expect(await third).toBe(a);
    expect(order).toEqual(["third"]);
    pool.give(await third);
    expect(await fourth).toBe(a);
    expect(pool.held, "a went from hand to hand, never back to the pool").toBe(0);
  });

  it("drops its free buffers once none has been lent out for ten seconds, not while one is", async () => {
    vi.useFakeTimers();
    const pool = new BatchBuffers(64, 4);
    const a = await pool.take();
    const b = await pool.take();
    pool.give(a);
    vi.advanceTimersByTime(30_000);
    expect(pool.held, "b is still lent out: the pool keeps a for the next batch").toBe(1);
    pool.give(b);
    vi.advanceTimersByTime(9_000);
    expect(pool.held).toBe(2);
    await pool.take();
    vi.advanceTimersByTime(5_000);
    expect(pool.held, "lent again before the ten seconds were up").toBe(1);
    pool.give(b);
    vi.advanceTimersByTime(10_000);
    expect(pool.held).toBe(0);
  });
});
