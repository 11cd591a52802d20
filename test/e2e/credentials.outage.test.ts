import { describe, it } from "vitest";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { useScenario } from "../support/scenario.js";
import { expectShippingSurvivedOutage, shipThroughImdsOutage } from "../support/shipThroughImdsOutage.js";

/**
 * Issue 4, step 3: IMDS fails while the credentials are still valid. The example: 40 s
 * credentials, so the refresh window (the last quarter of the lifetime, 10 s) lies inside a 20 s
 * run of HTTP 500s that ends 2 s before the expiry. The cache must notice, keep shipping on the
 * valid keys, report the outage once, and renew in the 2 s left. (Other kinds of outage:
 * credentials.outage-kinds.test.ts, split off so that the two run in parallel.)
 */
describe("credentials: IMDS answers 500 while the credentials are valid (e2e, real CLI)", () => {
  const scenario = useScenario();

  it("keeps shipping on the cached credentials, logs the outage once, renews before expiry", async () => {
    const world = await scenario.startWorld({ imds: { credentialLifetimeSeconds: 40 } });
    const run = await shipThroughImdsOutage(
      scenario,
      world,
      { fault: (imds, ms) => imds.failWith(500, ms), startsBeforeExpiryMs: 22_000, endsBeforeExpiryMs: 2_000 },
      "trace",
    );
    expectShippingSurvivedOutage(world, run);
    assertImdsV2Only(world.imds);
    await assertNoSecretLeaks(world, [run.result.stdout, run.result.stderr]);
  }, 90_000);
});
