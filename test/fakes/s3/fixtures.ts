import { randomBytes } from "node:crypto";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { onTestFinished } from "vitest";
import type { IssuedCredential } from "../../../src/fakes/CredentialAuthority.js";
import { FakeS3 } from "../../../src/fakes/s3/FakeS3.js";
import type { FakeS3Options } from "../../../src/fakes/s3/FakeS3Options.js";
import { staticCredentialAuthority } from "./staticCredentialAuthority.js";

// The SDK warns once per process about Node 20; it is noise in test output.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";

/** A fresh temporary credential valid for an hour (tests mutate it to revoke or expire it). */
export function issuedCredential(overrides: Partial<IssuedCredential> = {}): IssuedCredential {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString("base64"),
    sessionToken: randomBytes(48).toString("base64"),
    expiration: new Date(Date.now() + 3_600_000),
    revoked: false,
    ...overrides,
  };
}

export interface TestFake {
  readonly fake: FakeS3;
  /** The credential the fake's authority issued (mutable: revoke or expire it in place). */
  readonly cred: IssuedCredential;
}

/** A FakeS3 with bucket `logs` and one issued credential, closed when the current test ends. */
export async function startFake(options: Partial<FakeS3Options> = {}): Promise<TestFake> {
  const cred = issuedCredential();
  const fake = await FakeS3.start({ authority: staticCredentialAuthority([cred]), buckets: ["logs"], ...options });
  onTestFinished(() => fake.close());
  return { fake, cred };
}

/**
 * The real S3 client, configured as ship-logs configures it against a path-style endpoint,
 * destroyed when the current test ends.
 */
export function s3ClientFor(fake: FakeS3, cred: IssuedCredential, config: Partial<S3ClientConfig> = {}): S3Client {
  const client = new S3Client({
    region: "us-east-1",
    endpoint: fake.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: cred.accessKeyId,
      secretAccessKey: cred.secretAccessKey,
      ...(cred.sessionToken === "" ? {} : { sessionToken: cred.sessionToken }),
    },
    ...config,
  });
  onTestFinished(() => client.destroy());
  return client;
}

/** The SDK error shape the tests look at. */
export interface SdkError extends Error {
  readonly $metadata: { readonly httpStatusCode?: number; readonly attempts?: number };
}

/** Resolves with the error a promise rejects with; throws if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error as SdkError;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error("expected a rejection, but the promise resolved");
}
