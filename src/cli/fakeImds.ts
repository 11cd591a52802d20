#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { fromIni, fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { CredentialSource } from "../fakes/imds/CredentialSource.js";
import { CredentialSourceError } from "../fakes/imds/CredentialSourceError.js";
import { FakeImds } from "../fakes/imds/FakeImds.js";
import type { FakeImdsOptions } from "../fakes/imds/FakeImdsOptions.js";
import { FakeImdsUsageError } from "../fakes/imds/FakeImdsUsageError.js";
import { type CliCredentialSource, FAKE_IMDS_USAGE, parseFakeImdsArgs } from "../fakes/imds/parseFakeImdsArgs.js";
import { errorMessage } from "../log/errorMessage.js";

function credentialSourceFor(credentials: CliCredentialSource): CredentialSource | undefined {
  switch (credentials.kind) {
    case "generated":
      return undefined;
    case "profile":
      return fromIni({ profile: credentials.profile });
    case "chain":
      // Run on EC2, the chain's last resort is IMDS itself: IMDSv2 only there too.
      return fromNodeProviderChain({ ec2MetadataV1Disabled: true });
  }
}

function packageVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const version = typeof manifest === "object" && manifest !== null && "version" in manifest ? manifest.version : undefined;
  return typeof version === "string" ? version : "unknown";
}

/** One line on stderr, no stack trace (SPEC: exit codes). */
function fail(message: string, exitCode: number): never {
  process.stderr.write(`fake-imds: ${message}\n`);
  process.exit(exitCode);
}

async function main(argv: readonly string[]): Promise<void> {
  let command;
  try {
    command = parseFakeImdsArgs(argv);
  } catch (error: unknown) {
    if (error instanceof FakeImdsUsageError) fail(`${error.message} (see --help)`, 2);
    throw error;
  }
  if (command.kind === "help") {
    process.stdout.write(`${FAKE_IMDS_USAGE}\n`);
    return;
  }
  if (command.kind === "version") {
    // As `ship-logs --version` says it: the name, then the version.
    process.stdout.write(`fake-imds ${packageVersion()}\n`);
    return;
  }
  const { credentials, ...rest } = command.options;
  const source = credentialSourceFor(credentials);
  const options: FakeImdsOptions = source === undefined ? rest : { ...rest, credentialSource: source };
  let fake: FakeImds;
  try {
    fake = await FakeImds.start(options);
  } catch (error: unknown) {
    // Credentials that cannot be had are a configuration problem; a port in use is a runtime one.
    if (error instanceof CredentialSourceError) fail(`cannot get credentials to vend: ${error.message}`, 2);
    fail(`cannot start: ${errorMessage(error)}`, 1);
  }
  const shutdown = (): void => {
    fake.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`error while closing: ${errorMessage(error)}`, 1),
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  process.stdout.write(`fake-imds listening on ${fake.endpoint} (role ${fake.role}, instance ${fake.instanceId})\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => fail(errorMessage(error), 1));
