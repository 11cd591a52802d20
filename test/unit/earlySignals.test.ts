import { describe, expect, it } from "vitest";
import { holdSignals, releaseSignals } from "../../src/cli/earlySignals.js";

describe("earlySignals", () => {
  it("holds a SIGTERM that comes before a command listens, and hands it over once released; the process is not ended by it", () => {
    const before = { term: process.listenerCount("SIGTERM"), int: process.listenerCount("SIGINT") };
    holdSignals();
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGINT", "SIGINT");
    expect(releaseSignals()).toBe("SIGTERM");
    expect({ term: process.listenerCount("SIGTERM"), int: process.listenerCount("SIGINT") }).toEqual(before);
  });
});
