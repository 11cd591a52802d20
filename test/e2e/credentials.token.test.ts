import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { logsMatching } from "../support/logRecords.js";
import { useScenario } from "../support/scenario.js";
import { expectShippedExactlyOnce, waitForLinesInS3 } from "../support/shippedLines.js";
import { startShipping } from "../support/startShipping.js";

/**
 * Issue 4, step 2: IMDS session tokens that live 2 s (fake-imds grants at most that, whatever TTL
 * the client asks for), with 8 s credentials so that the daemon refreshes every few seconds, each
 * time long after its previous token died. The SDK's provider asks for a new token on every
 * refresh, so an expired token never stops a refresh; a 401 would only come from a token that
 * expired between its PUT and a GET, and is tolerated here, but lines must all arrive.
 */
describe("credentials: short-lived IMDS session tokens (e2e, real CLI)", () => {
  const scenario = useScenario();

  it("tokens expiring every 2 s never stop shipping: each refresh fetches a new token, every line arrives once", async () => {
    const world = await scenario.startWorld({ imds: { maxTokenTtlSeconds: 2, credentialLifetimeSeconds: 8 } });
    const { writer, daemon } = await startShipping(scenario, world, ["--flush-interval", "0.5", "--log-level", "debug"]);
    await sleep(18_000);
    writer.stop();
    await waitForLinesInS3(world, "app.log", writer.lines.length, 15_000);
    const result = await daemon.stop("SIGTERM");

    expect(result.code).toBe(0);
    expectShippedExactlyOnce(world, "app.log", writer.lines);
    expect(world.s3.rejected()).toEqual([]);
    // Shipping never stopped: no gap of more than 3 s between successful uploads.
    const puts = world.s3.requests.filter((request) => request.operation === "PutObject" && request.status === 200).map((request) => request.at.getTime());
    const gaps = puts.slice(1).map((at, index) => at - (puts[index] as number));
    expect(Math.max(...gaps)).toBeLessThan(3_000);

    // Several refreshes happened, each with a token of its own.
    const fetches = world.imds.countCredentialFetches();
    expect(fetches).toBeGreaterThanOrEqual(3);
    expect(world.imds.countRequests({ method: "PUT", path: "/latest/api/token", status: 200 })).toBeGreaterThanOrEqual(fetches);
    expect(logsMatching(result.stderr, /credentials refresh failed|credentials expired/)).toEqual([]);
    // 401s (a token that died between PUT and GET) are allowed, tokenless requests are not.
    assertImdsV2Only(world.imds, { allowExpiredTokens: true });
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);
});
