import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

/** What the tests read of bench/fleetSim.mjs and bench/fleet/verifyFleet.mjs (plain ESM with JSDoc types). */
interface Verification {
  ok: boolean;
  problems: string[];
  linesWritten: number;
  linesShipped: number;
  missing: number;
  duplicated: number;
  collisions: number;
  instancePrefixes: number;
}
interface PutRate {
  puts: number;
  meanPerS: number;
  peakPerS: number;
}
interface FleetResult {
  ok: boolean;
  problems: string[];
  rotations: number;
  verification: Verification;
  rates: { total: PutRate; prefixes: (PutRate & { prefix: string })[] };
  s3LimitPerPrefix: number;
  exits: { code: number | null }[];
}
interface Listed {
  key: string;
  object: { body: Buffer; putCount: number; accessKeyId: string };
}
interface HostRecord {
  tag: string;
  instanceId: string;
  issued(accessKeyId: string): boolean;
  logs: { name: string; written: number }[];
}
type SimulateFleet = (options: { hosts: number; seconds: number }) => Promise<FleetResult>;
type VerifyFleet = (input: { objects: Listed[]; requests: { method: string; key?: string; status: number; accessKeyId?: string }[]; hosts: HostRecord[]; prefix: string }) => Verification;

async function load<T>(path: string, name: string): Promise<T> {
  const module = (await import(new URL(path, import.meta.url).href)) as Record<string, unknown>;
  return module[name] as T;
}

describe("fleet simulation (issue 9): real daemons, one S3 endpoint", () => {
  it("ships every line of 3 hosts exactly once while logs rotate, one key prefix per instance", async () => {
    const simulateFleet = await load<SimulateFleet>("../../bench/fleetSim.mjs", "simulateFleet");
    const result = await simulateFleet({ hosts: 3, seconds: 10 });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.exits.map((exit) => exit.code)).toEqual([0, 0, 0]);
    expect(result.rotations).toBeGreaterThan(0);
    const v = result.verification;
    expect(v.linesShipped).toBe(v.linesWritten);
    expect([v.missing, v.duplicated, v.collisions]).toEqual([0, 0, 0]);
    expect(v.instancePrefixes).toBe(3);
    expect(result.rates.prefixes).toHaveLength(3);
    for (const prefix of result.rates.prefixes) {
      expect(prefix.puts).toBeGreaterThan(0);
      expect(prefix.peakPerS).toBeLessThan(result.s3LimitPerPrefix);
    }
    expect(result.rates.total.puts).toBe(result.rates.prefixes.reduce((sum, p) => sum + p.puts, 0));
  }, 120_000);
});

describe("the fleet verifier catches what the simulation must not do", () => {
  const hosts: HostRecord[] = ["a", "b"].map((id) => ({
    tag: `h-${id}`,
    instanceId: `i-${id}`,
    issued: (key) => key === `key-${id}`,
    logs: [{ name: "app.log", written: 2 }],
  }));
  function object(host: "a" | "b", lines: number[], at = 0, name = "aaaaaaaaaaaa"): Listed {
    const text = lines.map((seq) => `h-${host} app.log ${String(seq).padStart(9, "0")} x\n`).join("");
    const key = `p/i-${host}/2024-06-01/app.log/${name}-${String(at).padStart(15, "0")}-${String(at + text.length).padStart(15, "0")}.log.gz`;
    return { key, object: { body: gzipSync(text), putCount: 1, accessKeyId: `key-${host}` } };
  }
  const puts = (objects: Listed[]) => objects.map(({ key, object }) => ({ method: "PUT", key, status: 200, accessKeyId: object.accessKeyId }));

  it("passes a clean bucket", async () => {
    const verifyFleet = await load<VerifyFleet>("../../bench/fleet/verifyFleet.mjs", "verifyFleet");
    const objects = [object("a", [0, 1]), object("b", [0]), object("b", [1], 23)];
    expect(verifyFleet({ objects, requests: puts(objects), hosts, prefix: "p/" })).toMatchObject({ ok: true, linesShipped: 4, instancePrefixes: 2 });
  });

  it("reports a missing line, a duplicated line, a key stored twice, a key written by two hosts and one under another's prefix", async () => {
    const verifyFleet = await load<VerifyFleet>("../../bench/fleet/verifyFleet.mjs", "verifyFleet");
    const twice = object("a", [0, 1]);
    twice.object.putCount = 2;
    const dup = [twice, object("a", [1], 46, "bbbbbbbbbbbb"), object("b", [0])];
    const result = verifyFleet({ objects: dup, requests: [...puts(dup), { method: "PUT", key: twice.key, status: 200, accessKeyId: "key-b" }], hosts, prefix: "p/" });
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ missing: 1, duplicated: 1, collisions: 2 });
    const foreign = object("a", [0]);
    foreign.object.accessKeyId = "key-b";
    expect(verifyFleet({ objects: [foreign], requests: puts([foreign]), hosts, prefix: "p/" }).problems).toContain(
      `${foreign.key}: written by i-b, under another instance's prefix`,
    );
  });
});
