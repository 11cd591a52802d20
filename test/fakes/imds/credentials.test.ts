import { fromInstanceMetadata } from "@smithy/credential-provider-imds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CredentialSourceError } from "../../../src/fakes/imds/CredentialSourceError.js";
import { FakeImds } from "../../../src/fakes/imds/FakeImds.js";
import { FakeImdsUsageError } from "../../../src/fakes/imds/FakeImdsUsageError.js";
import { getToken, imdsGet, imdsText } from "./imdsHttp.js";

const CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/ship-logs-role";

async function servedCredentials(fake: FakeImds): Promise<Record<string, string>> {
  const token = await getToken(fake.endpoint);
  return JSON.parse(await imdsText(fake.endpoint, CREDENTIALS_PATH, token)) as Record<string, string>;
}

/** A clock the test moves by hand, starting on a whole second. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = Date.UTC(2026, 10, 28, 4, 0, 0);
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe("fake-imds credentials", () => {
  const fakes: FakeImds[] = [];
  const start = async (options: Parameters<typeof FakeImds.start>[0]): Promise<FakeImds> => {
    const fake = await FakeImds.start(options);
    fakes.push(fake);
    return fake;
  };

  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  });

  describe("rotation (lifetime 6 s, rotate 2 s before expiry)", () => {
    const clock = manualClock();
    let fake: FakeImds;

    beforeEach(async () => {
      fake = await start({ credentialLifetimeSeconds: 6, rotateBeforeSeconds: 2, now: clock.now });
    });

    it("serves the same set until 4 s, then a fresh one; the old key stays known until its expiry", async () => {
      const first = await servedCredentials(fake);
      expect(Date.parse(first.Expiration ?? "") - Date.parse(first.LastUpdated ?? "")).toBe(6000);

      clock.advance(3999);
      expect((await servedCredentials(fake)).AccessKeyId).toBe(first.AccessKeyId);

      clock.advance(1);
      const second = await servedCredentials(fake);
      expect(second.AccessKeyId).not.toBe(first.AccessKeyId);
      expect(second.SecretAccessKey).not.toBe(first.SecretAccessKey);
      expect(Date.parse(second.LastUpdated ?? "")).toBe(Date.parse(first.LastUpdated ?? "") + 4000);

      const old = fake.lookup(first.AccessKeyId ?? "");
      expect(old).toMatchObject({ revoked: false, secretAccessKey: first.SecretAccessKey });
      expect(old?.expiration.getTime()).toBe(Date.parse(first.Expiration ?? ""));
      expect(fake.issuedCredentials().map((c) => c.accessKeyId)).toEqual([first.AccessKeyId, second.AccessKeyId]);
    });

    it("currentCredentials() rotates lazily too, so tests see what clients see", () => {
      const first = fake.currentCredentials();
      clock.advance(4000);
      expect(fake.currentCredentials().accessKeyId).not.toBe(first.accessKeyId);
    });
  });

  it("caps the rotation lead at a third of the lifetime", async () => {
    const clock = manualClock();
    const fake = await start({ credentialLifetimeSeconds: 30, now: clock.now });
    const first = fake.currentCredentials();
    clock.advance(19_999);
    expect(fake.currentCredentials()).toBe(first);
    clock.advance(1);
    expect(fake.currentCredentials()).not.toBe(first);
  });

  it("rotates in real time: the SDK sees new keys after about 4 s", async () => {
    const fake = await start({ credentialLifetimeSeconds: 6, rotateBeforeSeconds: 2 });
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = fake.endpoint;
    try {
      const provider = fromInstanceMetadata({ ec2MetadataV1Disabled: true });
      const before = await provider();
      await new Promise((resolve) => setTimeout(resolve, 4200));
      const after = await provider();
      expect(after.accessKeyId).not.toBe(before.accessKeyId);
      expect(fake.lookup(before.accessKeyId)?.revoked).toBe(false);
      expect(fake.countCredentialFetches()).toBe(2);
    } finally {
      delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    }
  }, 10_000);

  it("rotateCredentials() publishes a fresh set at once and keeps the old one valid", async () => {
    const fake = await start({});
    const first = fake.currentCredentials();
    const second = fake.rotateCredentials();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect((await servedCredentials(fake)).AccessKeyId).toBe(second.accessKeyId);
    expect(fake.lookup(first.accessKeyId)).toBe(first);
    expect(fake.lookup("ASIANOSUCHKEY0000000")).toBeUndefined();
  });

  it("setCredentialLifetime() issues a set with the new lifetime at once", async () => {
    const fake = await start({});
    const before = fake.currentCredentials();
    fake.setCredentialLifetime(120);
    const served = await servedCredentials(fake);
    expect(served.AccessKeyId).not.toBe(before.accessKeyId);
    expect(Date.parse(served.Expiration ?? "") - Date.parse(served.LastUpdated ?? "")).toBe(120_000);
    expect(() => fake.setCredentialLifetime(0)).toThrow(FakeImdsUsageError);
  });

  it("revoke() marks the key revoked and replaces it when it was current", async () => {
    const fake = await start({});
    const first = fake.currentCredentials();
    const spare = fake.rotateCredentials();
    fake.revoke(first.accessKeyId);
    expect(fake.lookup(first.accessKeyId)?.revoked).toBe(true);
    expect(fake.currentCredentials()).toBe(spare);

    fake.revoke(spare.accessKeyId);
    expect(spare.revoked).toBe(true);
    const third = await servedCredentials(fake);
    expect(third.AccessKeyId).not.toBe(spare.accessKeyId);
    expect(fake.lookup(third.AccessKeyId ?? "")?.revoked).toBe(false);
  });

  describe("with a credentialSource", () => {
    it("vends the source's keys, Token \"\" and a one-hour Expiration when it has none", async () => {
      const clock = manualClock();
      const fake = await start({
        now: clock.now,
        credentialSource: async () => ({ accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "s".repeat(40) }),
      });
      const served = await servedCredentials(fake);
      expect(served).toMatchObject({ AccessKeyId: "AKIAEXAMPLEEXAMPLE00", SecretAccessKey: "s".repeat(40), Token: "" });
      expect(Date.parse(served.Expiration ?? "")).toBe(clock.now() + 3_600_000);
      expect(() => fake.rotateCredentials()).toThrow(FakeImdsUsageError);
    });

    it("serves a source's session credentials and fetches again when they near expiry", async () => {
      const clock = manualClock();
      let calls = 0;
      const fake = await start({
        now: clock.now,
        credentialSource: async () => {
          calls += 1;
          return {
            accessKeyId: `ASIASOURCE0000000${calls}00`.slice(0, 20),
            secretAccessKey: "x".repeat(40),
            sessionToken: `session-${calls}`,
            expiration: new Date(clock.now() + 900_000),
          };
        },
      });
      expect((await servedCredentials(fake)).Token).toBe("session-1");
      clock.advance(600_000 - 1);
      expect((await servedCredentials(fake)).Token).toBe("session-1");
      clock.advance(1);
      expect((await servedCredentials(fake)).Token).toBe("session-2");
      expect(calls).toBe(2);
    });

    it("never serves an Expiration beyond the configured lifetime", async () => {
      const clock = manualClock();
      const fake = await start({
        now: clock.now,
        credentialLifetimeSeconds: 60,
        credentialSource: async () => ({ accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "s".repeat(40) }),
      });
      expect(Date.parse((await servedCredentials(fake)).Expiration ?? "")).toBe(clock.now() + 60_000);
    });

    it("rejects start() with CredentialSourceError when the source fails, and answers 500 once the served set has expired", async () => {
      const notFound = Object.assign(new Error("Profile dev could not be found"), { name: "CredentialsProviderError" });
      await expect(FakeImds.start({ credentialSource: () => Promise.reject(notFound) })).rejects.toThrow(
        new CredentialSourceError("CredentialsProviderError: Profile dev could not be found"),
      );
      // Any other error's message may quote what the source read: only its name is kept.
      const parse = new SyntaxError(`Unexpected token 'w', "...Key":wJalrXUtnF"... is not valid JSON`);
      await expect(FakeImds.start({ credentialSource: () => Promise.reject(parse) })).rejects.toThrow(
        new CredentialSourceError("SyntaxError: a credentials document is not valid JSON"),
      );

      const clock = manualClock();
      let fail = false;
      const fake = await start({
        now: clock.now,
        credentialLifetimeSeconds: 60,
        credentialSource: async () => {
          if (fail) throw new Error("expired SSO session");
          return { accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "s".repeat(40) };
        },
      });
      fail = true;
      clock.advance(60_000);
      const token = await getToken(fake.endpoint);
      const response = await imdsGet(fake.endpoint, CREDENTIALS_PATH, token);
      expect(response.status).toBe(500);
      expect(await response.text()).toBe("500 - Internal Server Error");
    });

    it("keeps answering instance-id, and serving the last set until it expires, while the source fails", async () => {
      const clock = manualClock();
      let fail = false;
      const fake = await start({
        now: clock.now,
        credentialLifetimeSeconds: 3600,
        credentialSource: async () => {
          if (fail) throw new Error("expired SSO session");
          return { accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "s".repeat(40) };
        },
      });
      fail = true;
      clock.advance(3_600_000 - 200_000); // inside the five-minute rotation lead: a refresh is due and fails
      let token = await getToken(fake.endpoint);
      expect(await imdsText(fake.endpoint, "/latest/meta-data/instance-id", token)).toBe(fake.instanceId);
      const stillServed = await imdsGet(fake.endpoint, CREDENTIALS_PATH, token);
      expect(stillServed.status).toBe(200);
      expect((JSON.parse(await stillServed.text()) as Record<string, string>).AccessKeyId).toBe("AKIAEXAMPLEEXAMPLE00");

      clock.advance(200_000); // the set has expired: now the failure shows, on the role's paths only
      token = await getToken(fake.endpoint);
      expect((await imdsGet(fake.endpoint, CREDENTIALS_PATH, token)).status).toBe(500);
      expect(await imdsText(fake.endpoint, "/latest/meta-data/instance-id", token)).toBe(fake.instanceId);
    });
  });
});
