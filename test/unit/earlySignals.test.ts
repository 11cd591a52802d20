import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// The built module: CommonJS with `export =`, which the test runner's bundler does not parse.
const { holdSignals, releaseSignals } = createRequire(import.meta.url)("../../dist/cli/earlySignals.cjs") as typeof import("../../src/cli/earlySignals.cjs");

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
