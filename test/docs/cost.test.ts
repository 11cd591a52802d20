import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { SHIP_LOGS_OPTIONS } from "../../src/config/shipLogsOptions.js";

const COST = new URL("../../docs/cost.md", import.meta.url);
const METRICS_SOURCE = new URL("../../src/metrics/ShipMetrics.ts", import.meta.url);
const PRICE_PER_1000 = 0.005;
const MIB = 1024 ** 2;

/** "8 640" -> 8640, "$1.30" -> 1.3 */
function number(cell: string): number {
  return Number(cell.replace(/[$\s]/g, ""));
}

describe("docs/cost.md", () => {
  it("computes its table from the formula, the stated price and the option table's defaults", async () => {
    const text = await readFile(COST, "utf8");
    expect(text).toContain("$0.005 per 1 000 PUT requests");
    expect(SHIP_LOGS_OPTIONS.flushInterval.fallback).toEqual({ kind: "constant", raw: "60" });
    expect(SHIP_LOGS_OPTIONS.batchMaxBytes.fallback).toEqual({ kind: "constant", raw: String(8 * MIB) });
    const rows = [...text.matchAll(/^\| (\d+) s[^|]*\|([^\n]+)\|$/gm)];
    expect(rows.map((row) => row[1])).toEqual(["10", "60", "300"]);
    for (const row of rows) {
      const interval = Number(row[1]);
      const [perDay, perMonth, dollars, busy, fleet] = (row[2] ?? "").split("|").map((cell) => cell.trim());
      const puts = 86_400 / interval;
      expect(number(perDay ?? "")).toBe(puts);
      expect(number(perMonth ?? "")).toBe(puts * 30);
      expect(number(dollars ?? "")).toBeCloseTo(((puts * 30) / 1000) * PRICE_PER_1000, 2);
      const busyPuts = puts + (50 * 1024 * MIB) / (8 * MIB);
      const [busyPerDay, busyDollars] = (busy ?? "").split(",");
      expect(number((busyPerDay ?? "").replace("/day", ""))).toBe(busyPuts);
      expect(number(busyDollars ?? "")).toBeCloseTo(((busyPuts * 30) / 1000) * PRICE_PER_1000, 2);
      expect(number(fleet ?? "")).toBeCloseTo(((4000 * puts * 30) / 1000) * PRICE_PER_1000, 0);
    }
  });

  it("names metrics the daemon exports", async () => {
    const [text, source] = await Promise.all([readFile(COST, "utf8"), readFile(METRICS_SOURCE, "utf8")]);
    const named = new Set([...text.matchAll(/\bship_logs_[a-z_]+/g)].map((m) => m[0]));
    expect(named.size).toBeGreaterThanOrEqual(3);
    for (const metric of named) expect(source, metric).toContain(`"${metric}"`);
  });
});
