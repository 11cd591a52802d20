import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { SHIP_LOGS_OPTIONS } from "../../src/config/shipLogsOptions.js";
import { ShipMetrics } from "../../src/metrics/ShipMetrics.js";
import { emptyStats } from "../../src/ship/ShipContext.js";
import { readUnitFile } from "../systemd/readUnitFile.js";

const read = (path: string): Promise<string> => readFile(new URL(`../../${path}`, import.meta.url), "utf8");

/** The metric names the daemon registers. */
async function exportedSeries(): Promise<string[]> {
  const metrics = new ShipMetrics({
    stats: emptyStats,
    files: () => [],
    credentialSecondsToExpiry: () => undefined,
    imdsFailures: () => 0,
    urgent: () => false,
    notice: () => undefined,
  });
  return (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name).sort();
}

describe("docs/operations.md and docs/lifecycle.md", () => {
  it("the operations metrics table lists exactly the series the daemon exports", async () => {
    const text = await read("docs/operations.md");
    const tabled = [...text.matchAll(/^\| `(ship_logs_[a-z_]+)(?:\{[a-z]+\})?` \|/gm)].map((match) => match[1]).sort();
    expect(tabled).toEqual(await exportedSeries());
  });

  it("every ship_logs_ name in either page exists", async () => {
    const series = new Set(await exportedSeries());
    for (const page of ["docs/operations.md", "docs/lifecycle.md"]) {
      const named = [...(await read(page)).matchAll(/\bship_logs_[a-z_]+/g)].map((match) => match[0]);
      expect(named.filter((name) => !series.has(name)), page).toEqual([]);
    }
  });

  it("the lifecycle settings table states the real defaults of --stop-timeout, TimeoutStopSec and --flush-interval", async () => {
    const [text, unit] = await Promise.all([read("docs/lifecycle.md"), read("systemd/ship-logs.service")]);
    const timeoutStopSec = readUnitFile(unit).get("Service")?.get("TimeoutStopSec")?.at(-1);
    expect(text).toMatch(new RegExp(`\\| systemd unit \\| \`TimeoutStopSec=\` \\| ${timeoutStopSec} \\|`));
    expect(SHIP_LOGS_OPTIONS.stopTimeout.fallback).toEqual({ kind: "constant", raw: "30" });
    expect(text).toContain("| ship-logs | `--stop-timeout SECONDS` (`stopTimeout`) | 30 |");
    expect(SHIP_LOGS_OPTIONS.flushInterval.fallback).toEqual({ kind: "constant", raw: "60" });
    expect(text).toContain("| ship-logs | `--flush-interval SECONDS` | 60 |");
    expect(Number(timeoutStopSec)).toBeGreaterThan(30);
  });
});
