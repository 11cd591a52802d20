import { parseArgs } from "node:util";
import { errorMessage } from "../../log/errorMessage.js";
import { FakeImdsUsageError } from "./FakeImdsUsageError.js";

export const FAKE_IMDS_USAGE = `Usage: fake-imds [options]

A local IMDSv2 endpoint (http://HOST:PORT) that vends instance-profile credentials.

Options:
  --port N                      port to listen on (default 1338; 0 picks a free one)
  --host H                      address to bind (default 127.0.0.1)
  --role NAME                   instance-profile role name (default ship-logs-role)
  --instance-id ID              instance id (default i-0123456789abcdef0)
  --region REGION               region (default us-east-1)
  --credential-lifetime SECONDS lifetime of each credential set (default 21600)
  --from-profile NAME           vend the credentials of this AWS profile
  --from-chain                  vend the credentials of the SDK's default provider chain
  --help                        show this help
  --version                     show the version

Point clients at it with AWS_EC2_METADATA_SERVICE_ENDPOINT=http://HOST:PORT/ (older botocore,
e.g. Debian's awscli 2.9, needs the trailing slash; the JS SDK accepts either form).`;

/** Where the vended credentials come from. */
export type CliCredentialSource = { readonly kind: "generated" } | { readonly kind: "profile"; readonly profile: string } | { readonly kind: "chain" };

export interface FakeImdsCliOptions {
  readonly host: string;
  readonly port: number;
  readonly role?: string;
  readonly instanceId?: string;
  readonly region?: string;
  readonly credentialLifetimeSeconds?: number;
  readonly credentials: CliCredentialSource;
}

export type FakeImdsCliCommand =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "serve"; readonly options: FakeImdsCliOptions };

function integerFlag(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new FakeImdsUsageError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function nonEmpty(name: string, raw: string | undefined): string | undefined {
  if (raw === "") throw new FakeImdsUsageError(`--${name} must not be empty`);
  return raw;
}

/** Parses the command line; throws FakeImdsUsageError (one line) for anything it cannot honour. */
export function parseFakeImdsArgs(argv: readonly string[]): FakeImdsCliCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        role: { type: "string" },
        "instance-id": { type: "string" },
        region: { type: "string" },
        "credential-lifetime": { type: "string" },
        "from-profile": { type: "string" },
        "from-chain": { type: "boolean" },
        help: { type: "boolean" },
        version: { type: "boolean" },
      },
    }));
  } catch (error: unknown) {
    // parseArgs explains unknown flags, missing values and stray arguments well; keep its first line.
    const message = errorMessage(error);
    throw new FakeImdsUsageError(message.split("\n", 1)[0] ?? message);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const profile = nonEmpty("from-profile", values["from-profile"]);
  if (profile !== undefined && values["from-chain"]) {
    throw new FakeImdsUsageError("--from-profile and --from-chain are mutually exclusive");
  }
  const credentials: CliCredentialSource =
    profile !== undefined ? { kind: "profile", profile } : values["from-chain"] ? { kind: "chain" } : { kind: "generated" };
  const lifetime = values["credential-lifetime"];
  const role = nonEmpty("role", values.role);
  // IAM's own rule: a "/" in it would name a path IMDS cannot serve.
  if (role !== undefined && !/^[\w+=,.@-]{1,64}$/.test(role)) {
    throw new FakeImdsUsageError(`--role: an IAM role name is 1-64 letters, digits and +=,.@_-; got ${JSON.stringify(role)}`);
  }
  const instanceId = nonEmpty("instance-id", values["instance-id"]);
  const region = nonEmpty("region", values.region);
  return {
    kind: "serve",
    options: {
      host: nonEmpty("host", values.host) ?? "127.0.0.1",
      port: values.port === undefined ? 1338 : integerFlag("port", values.port, 0, 65_535),
      credentials,
      ...(role !== undefined && { role }),
      ...(instanceId !== undefined && { instanceId }),
      ...(region !== undefined && { region }),
      ...(lifetime !== undefined && { credentialLifetimeSeconds: integerFlag("credential-lifetime", lifetime, 1, 43_200) }),
    },
  };
}
