import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { refreshedLogs } from "../support/credentialLogs.js";
import { LEVEL, logsMatching } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { startShipping } from "../support/startShipping.js";
import { baseArgs, waitFor } from "../support/world.js";

/**
 * Issue 4, step 1: refresh ahead of expiry, under continuous shipping.
 *
 * Two minutes of shipping, as the issue asks: with 15-second credentials that fake-imds replaces
 * 5 s before they expire, that is about twelve rotations (one every 10 s), each crossed while
 * uploads go out every half second.
 */
const SHIP_FOR_MS = 120_000;
const LIFETIME_S = 15;
const ROTATE_BEFORE_S = 5;

describe("credentials: refresh ahead of expiry (e2e, real CLI)", () => {
  const scenario = useScenario();

  it(
    "ships continuously for two minutes across a dozen rotations of 15 s credentials: no ExpiredToken, no line lost, one IMDS fetch per rotation",
    async () => {
      const world = await scenario.startWorld({ imds: { credentialLifetimeSeconds: LIFETIME_S, rotateBeforeSeconds: ROTATE_BEFORE_S } });
      const { writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5", "--log-level", "trace"]);

      await sleep(SHIP_FOR_MS);
      writer.stop();
      await waitForLinesInS3(world, "app.log", writer.lines.length, 15_000);
      const result = await daemon.stop("SIGTERM");
      expect(result.code).toBe(0);

      // Not one request was signed with credentials S3 considered expired, or unknown.
      expect(world.s3.rejected("ExpiredToken")).toEqual([]);
      expect(world.s3.rejected()).toEqual([]);
      expectShippedExactlyOnce(world, "app.log", writer.lines);
      const uploads = world.s3.requests.filter((request) => request.operation === "PutObject").length;
      expect(uploads, "uploads").toBeGreaterThan(120);

      // Uploads were signed with several generations of keys: the rotations really were crossed.
      const keysUsed = new Set(world.s3.requests.map((request) => request.accessKeyId));
      expect(keysUsed.size).toBeGreaterThanOrEqual(10);

      // About one credentials fetch per rotation, never one per upload.
      const rotations = world.imds.issuedCredentials().length - 1;
      const fetches = world.imds.countCredentialFetches();
      expect(rotations).toBeGreaterThanOrEqual(10);
      expect(fetches).toBeGreaterThanOrEqual(rotations);
      expect(fetches).toBeLessThanOrEqual(rotations + 3);
      expect(logsMatching(result.stderr, /^credentials refreshed$/).length).toBe(fetches);
      expect(logsMatching(result.stderr, /credentials refresh failed|credentials expired/)).toEqual([]);

      assertImdsV2Only(world.imds);
      await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
    },
    SHIP_FOR_MS + 45_000,
  );

  // Issue 4, step 9.
  it("logs every refresh at info with the key id's last four characters and the new expiry, never the whole key id", async () => {
    const world = await scenario.startWorld({ imds: { credentialLifetimeSeconds: 8 } });
    const daemon = scenario.startDaemon([...baseArgs(world), "--flush-interval", "0.5"]);
    await waitFor(() => refreshedLogs(daemon.stderr()).length >= 2, 20_000, "two credentials refreshed lines");
    const result = await daemon.stop("SIGTERM");
    expect(result.code).toBe(0);

    const issued = world.imds.issuedCredentials();
    const lines = logsMatching(result.stderr, /^credentials refreshed$/);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line.level).toBe(LEVEL.info);
      const suffix = String(line["accessKeyIdSuffix"]);
      expect(suffix).toMatch(/^[A-Z0-9]{4}$/);
      const credential = issued.find((candidate) => candidate.accessKeyId.endsWith(suffix));
      expect(credential, `an issued key ending in ${suffix}`).toBeDefined();
      expect(line["expiration"]).toBe(credential?.expiration.toISOString());
    }
    // Two different sets, in the order they were issued.
    expect(new Set(lines.map((line) => line["accessKeyIdSuffix"])).size).toBe(lines.length);
    for (const credential of issued) expect(result.stderr).not.toContain(credential.accessKeyId);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
    assertImdsV2Only(world.imds);
  }, 40_000);
});
