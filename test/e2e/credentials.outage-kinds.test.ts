import { describe, it } from "vitest";
import type { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { useScenario } from "../support/scenario.js";
import { expectShippingSurvivedOutage, shipThroughImdsOutage, type ImdsOutage } from "../support/shipThroughImdsOutage.js";

/**
 * Issue 4, step 3, the other ways IMDS can be down while the credentials are valid. 24 s
 * credentials: the refresh window is the last 6 s, and each outage runs from 10 s to 3 s before
 * the expiry, so every refresh attempt in the window but the last meets the fault.
 */
const kinds: Array<{ name: string; fault: ImdsOutage["fault"] }> = [
  { name: "connections refused", fault: (imds: FakeImds, ms: number) => imds.refuseConnections(ms) },
  { name: "requests never answered (stall)", fault: (imds: FakeImds, ms: number) => imds.stall(ms) },
  // What a disabled metadata endpoint answers (HttpEndpoint disabled), until an operator re-enables it.
  { name: "HTTP 403 on every request", fault: (imds: FakeImds, ms: number) => imds.failWith(403, ms) },
];

describe("credentials: IMDS down while the credentials are valid (e2e, real CLI)", () => {
  const scenario = useScenario();

  it.each(kinds)("$name: keeps shipping on the cached credentials, logs the outage once, renews before expiry", async ({ fault }) => {
    const world = await scenario.startWorld({ imds: { credentialLifetimeSeconds: 24 } });
    const run = await shipThroughImdsOutage(scenario, world, { fault, startsBeforeExpiryMs: 10_000, endsBeforeExpiryMs: 3_000 });
    expectShippingSurvivedOutage(world, run);
    assertImdsV2Only(world.imds);
    await assertNoSecretLeaks(world, [run.result.stdout, run.result.stderr]);
  }, 60_000);
});
