import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { instanceMetadata } from "../../src/credentials/instanceMetadata.js";
import { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";

describe("instanceMetadata", () => {
  let imds: FakeImds;

  beforeEach(async () => {
    imds = await FakeImds.start({ instanceId: "i-0a1b2c3d4e5f60718" });
  });

  afterEach(async () => {
    await imds.close();
  });

  it("reads again once IMDS answers after refusing the token PUT with 403 (the SDK's client would stop fetching tokens for good)", async () => {
    const metadata = instanceMetadata({ endpoint: imds.endpoint, timeoutMs: 500, retries: 0 });
    imds.failWith(403);
    await expect(metadata.get("meta-data/instance-id")).rejects.toThrow();
    await imds.clearFaults();

    await expect(metadata.get("meta-data/instance-id")).resolves.toBe("i-0a1b2c3d4e5f60718");
    assertImdsV2Only(imds);
  });
});
