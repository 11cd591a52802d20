import { test } from "vitest";
import { FakeImds } from "../../../src/fakes/imds/FakeImds.js";

/**
 * `test` with a fresh fake-imds per test (`fake`) that the AWS SDK's IMDS clients reach through
 * AWS_EC2_METADATA_SERVICE_ENDPOINT. After the test the variable is restored (or removed, if it
 * was not set) and the fake closed. `auto`: started for every test, as a beforeEach would.
 */
export const sdkImdsTest = test.extend<{ fake: FakeImds }>({
  fake: [
    async ({}, use) => {
      const saved = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
      const fake = await FakeImds.start();
      process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = fake.endpoint;
      await use(fake);
      if (saved === undefined) delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
      else process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = saved;
      await fake.close();
    },
    { auto: true },
  ],
});
