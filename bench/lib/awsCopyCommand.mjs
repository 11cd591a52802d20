// @ts-check
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's awscli v2 first: the user's alternative the issue names. */
const PREFERRED = "/usr/bin/aws";

/**
 * The aws CLI to compare against, or undefined when none is installed.
 * @param {string | undefined} explicit --aws PATH
 * @returns {{ path: string, version: string } | undefined}
 */
export function findAws(explicit) {
  /** @type {string | undefined} */
  let path = explicit ?? (existsSync(PREFERRED) ? PREFERRED : undefined);
  if (path === undefined) {
    try {
      path = execFileSync("sh", ["-c", "command -v aws"], { encoding: "utf8" }).trim() || undefined;
    } catch {
      return undefined;
    }
  }
  if (path === undefined) return undefined;
  try {
    const version = execFileSync(path, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    return { path, version: version.split(" ")[0] ?? version };
  } catch {
    return undefined;
  }
}

/**
 * `aws s3 cp --recursive DIR s3://BUCKET/PREFIX/` with the CLI's default
 * transfer settings (10 concurrent requests, 8 MB multipart parts), static
 * keys and no config files: what a user would type.
 * @param {{ dir: string, bucket: string, prefix: string, endpoint: string, home: string }} options
 * @returns {{ args: string[], env: NodeJS.ProcessEnv }}
 */
export function awsCopyCommand({ dir, bucket, prefix, endpoint, home }) {
  return {
    args: ["s3", "cp", "--recursive", dir, `s3://${bucket}/${prefix}/`, "--endpoint-url", endpoint, "--only-show-errors"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      AWS_ACCESS_KEY_ID: "AKIABENCHBENCHBENCH0",
      AWS_SECRET_ACCESS_KEY: "bench-secret-bench-secret-bench-secret00",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_PAGER: "",
    },
  };
}
