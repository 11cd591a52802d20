import { expect } from "vitest";
import type { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import { refreshedLogs, sleepUntil } from "./credentialLogs.js";
import { logsMatching } from "./logRecords.js";
import type { Scenario } from "./scenario.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "./shippedLines.js";
import { startShipping } from "./startShipping.js";
import type { RunResult, World } from "./world.js";

export interface ImdsOutage {
  /** Starts a fault that ends by itself after `forMs`. */
  fault: (imds: FakeImds, forMs: number) => void | Promise<void>;
  /** When it starts and ends, counted back from the Expiration of the credentials the daemon holds. */
  startsBeforeExpiryMs: number;
  endsBeforeExpiryMs: number;
}

export interface OutageRun {
  result: RunResult;
  written: readonly string[];
  /** Expiration of the credentials the daemon fetched at start (epoch ms). */
  expiresAt: number;
  outageStart: number;
  outageEnd: number;
}

/**
 * Runs the daemon with a writer appending a line every 100 ms, breaks IMDS for a while relative to
 * the expiry of the daemon's first credentials, lets it ship everything and stops it with SIGTERM.
 * Should anything fail half-way, the scenario's teardown stops the writer and kills the daemon.
 */
export async function shipThroughImdsOutage(scenario: Scenario, world: World, outage: ImdsOutage, logLevel = "debug"): Promise<OutageRun> {
  const { writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5", "--log-level", logLevel]);
  const first = refreshedLogs(daemon.stderr())[0];
  if (first === undefined) throw new Error("the daemon logged no \"credentials refreshed\" line at start");
  const expiresAt = Date.parse(first.expiration);
  const outageStart = expiresAt - outage.startsBeforeExpiryMs;
  const outageEnd = expiresAt - outage.endsBeforeExpiryMs;
  await sleepUntil(outageStart);
  await outage.fault(world.imds, outageEnd - Date.now());
  // Ship on a little past the expiry, on the new credentials.
  await sleepUntil(expiresAt + 2_000);
  writer.stop();
  await waitForLinesInS3(world, "app.log", writer.lines.length, 15_000);
  const result = await daemon.stop("SIGTERM");
  return { result, written: writer.lines, expiresAt, outageStart, outageEnd };
}

/**
 * What an outage of IMDS while the credentials are valid must leave behind: uploads went on during
 * it with keys S3 accepted, every line arrived once, the outage was reported once and new
 * credentials came in after it and before the old ones expired.
 */
export function expectShippingSurvivedOutage(world: World, run: OutageRun): void {
  const { result } = run;
  expect(result.code).toBe(0);
  const putsDuringOutage = world.s3.requests.filter(
    (request) =>
      request.operation === "PutObject" &&
      request.status === 200 &&
      request.at.getTime() >= run.outageStart &&
      request.at.getTime() <= run.outageEnd,
  );
  expect(putsDuringOutage.length, "uploads during the outage").toBeGreaterThan(3);
  expect(world.s3.rejected()).toEqual([]);
  expectShippedExactlyOnce(world, "app.log", run.written);

  expect(logsMatching(result.stderr, /credentials refresh failed/)).toHaveLength(1);
  expect(logsMatching(result.stderr, /credentials expired/)).toEqual([]);
  const renewed = refreshedLogs(result.stderr).filter((line) => line.time > run.outageStart);
  expect(renewed.length, "credentials refreshed after the outage").toBeGreaterThanOrEqual(1);
  expect(renewed[0]?.time).toBeLessThan(run.expiresAt);
  expect(renewed[0]?.time).toBeGreaterThanOrEqual(run.outageEnd - 50);
}
