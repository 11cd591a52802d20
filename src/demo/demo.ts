import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { FakeImds } from "../fakes/imds/FakeImds.js";
import { FakeS3 } from "../fakes/s3/FakeS3.js";
import { jsonLines, nginxLines } from "./sampleLogs.js";

const BUCKET = "demo-logs";
const CLI = fileURLToPath(new URL("../cli/bin.cjs", import.meta.url));

/** Runs the real CLI as a child process; asynchronously, since the fakes answer it from this process. */
async function runShipper(args: string[]): Promise<number> {
  process.stdout.write(`\n$ ship-logs ${args.join(" ")}\n`);
  const child = spawn(process.execPath, [CLI, ...args], { stdio: "inherit" });
  const [code] = (await once(child, "exit")) as [number | null];
  return code ?? 1;
}

/**
 * `npm run demo`: the whole EC2 path on a laptop. A fake IMDS vends
 * short-lived credentials, a local S3 endpoint checks every signature against
 * them, and the real CLI ships sample logs once.
 */
async function main(): Promise<void> {
  const imds = await FakeImds.start({ region: "eu-west-1" });
  const s3 = await FakeS3.start({ authority: imds, buckets: [BUCKET] });
  try {
    const dir = mkdtempSync(join(tmpdir(), "ship-logs-demo-"));
    writeFileSync(join(dir, "nginx-access.log"), `${nginxLines(2000).join("\n")}\n`);
    // The last line has no newline yet: it stays pending until its writer finishes it.
    writeFileSync(join(dir, "orders.log"), `${jsonLines(1500).join("\n")}\n{"time":"2026-11-28T12:10:00Z","level":"info"`);
    process.stdout.write(
      `fake-imds at ${imds.endpoint} (instance ${imds.instanceId}, region eu-west-1)\n` +
        `local S3 at ${s3.endpoint} (verifies SigV4 against the credentials fake-imds issued)\n` +
        `sample logs in ${dir}\n`,
    );
    const args = [
      "--once",
      "--watch", join(dir, "*.log"),
      "--bucket", BUCKET,
      "--endpoint", s3.endpoint,
      "--imds-endpoint", imds.endpoint,
      "--state-dir", join(dir, "state"),
      "--log-level", "warn",
    ];
    const first = await runShipper(args);
    const objects = s3.listObjects(BUCKET);
    process.stdout.write(`\nexit ${first}; ${objects.length} object(s) in s3://${BUCKET}:\n`);
    for (const { key, object } of objects) process.stdout.write(`  ${key}  (${object.body.length} bytes)\n`);
    const sample = objects[0];
    if (sample) {
      const text = gunzipSync(sample.object.body).toString("utf8").split("\n").slice(0, 2);
      process.stdout.write(`\nfirst lines of ${sample.key}:\n  ${text.join("\n  ")}\n`);
    }
    process.stdout.write("\nA second run finds nothing new (checkpoints moved only after S3 acknowledged):");
    const second = await runShipper(args);
    process.stdout.write(
      `\nexit ${second}. On AWS, read an object back with:\n` +
        `  aws s3 cp s3://YOUR-BUCKET/KEY - | gunzip | head\n`,
    );
    process.exitCode = first === 0 && second === 0 ? 0 : 1;
  } finally {
    await s3.close();
    await imds.close();
  }
}

void main();
