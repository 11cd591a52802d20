import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, paginateListObjectsV2, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterEach, describe, expect, it } from "vitest";
import { BUCKET, baseArgs, runCli, startWorld, type World } from "../support/world.js";
import { expectSuccess, numberedLines, rangeOfKey, replaceFlag, summaryOf, writeLines } from "./onceSupport.js";

// The SDK warns once per process about Node 20; it is noise in test output.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";

/** s3rver's one built-in account; it refuses any other access key id. */
const S3RVER_KEY = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

async function readAll(client: S3Client): Promise<Array<{ key: string; body: Buffer }>> {
  const objects: Array<{ key: string; body: Buffer }> = [];
  for await (const page of paginateListObjectsV2({ client }, { Bucket: BUCKET })) {
    for (const { Key } of page.Contents ?? []) {
      if (Key === undefined) continue;
      const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
      objects.push({ key: Key, body: Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array())) });
    }
  }
  return objects;
}

/**
 * The backlog test against an S3 implementation this project did not write, so that the fake S3
 * cannot share a misunderstanding with the shipper. s3rver is a different trade-off:
 * - it does not verify SigV4 at all (it only checks that the access key id is its "S3RVER"), so
 *   fake-imds vends that key here, and signing is covered by the fake S3 tests instead;
 * - it does not decode `aws-chunked` bodies (it would store the chunk framing as the object), so
 *   it only works because the shipper uploads Buffer bodies, which the SDK sends plain;
 * - it keeps objects on disk and has no put counter, so "exactly once" is checked through the
 *   lines read back with the SDK's GetObject and through byte ranges that never overlap.
 */
describe("ship-logs --once against s3rver (e2e)", () => {
  let world: World | undefined;
  let s3rver: S3rver | undefined;
  let client: S3Client | undefined;

  afterEach(async () => {
    client?.destroy();
    await s3rver?.close();
    await world?.close();
    world = undefined;
    s3rver = undefined;
    client = undefined;
  });

  it("ships a 50 000-line backlog over three files exactly once, in file order", async () => {
    world = await startWorld({ imds: { credentialSource: async () => ({ ...S3RVER_KEY, sessionToken: "s3rver-session" }) } });
    const directory = join(world.dir, "s3rver");
    await mkdir(directory);
    s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }] });
    const { address, port } = await s3rver.run();
    const endpoint = `http://${address}:${port}`;
    const files = new Map([
      ["app.log", numberedLines("app", 25_000)],
      ["auth.log", numberedLines("auth", 15_000)],
      ["web.log", numberedLines("web", 10_000)],
    ]);
    for (const [name, lines] of files) await writeLines(join(world.logs, name), lines);

    const run = await runCli([...replaceFlag(baseArgs(world), "--endpoint", endpoint), "--once", "--batch-max-bytes", "256KiB"]);

    expectSuccess(run);
    expect(summaryOf(run)).toMatchObject({ files: 3, lines: 50_000, pending_bytes: 0, failures: 0 });
    client = new S3Client({ region: "us-east-1", endpoint, forcePathStyle: true, credentials: S3RVER_KEY });
    const objects = await readAll(client);
    expect(objects).toHaveLength(summaryOf(run).objects ?? -1);
    for (const [name, lines] of files) {
      const own = objects.filter(({ key }) => key.includes(`/${name}/`));
      expect(own.length, `objects of ${name}`).toBeGreaterThan(1);
      const stored = own.flatMap(({ body }) => gunzipSync(body).toString("utf8").split("\n").slice(0, -1));
      expect(stored.length, `lines of ${name}`).toBe(lines.length);
      expect(stored).toEqual(lines);
      // Listed in key order, the byte ranges follow each other from 0 to the end of the file.
      const ranges = own.map(({ key }) => rangeOfKey(key));
      expect(ranges.map(({ start }) => start)).toEqual([0, ...ranges.slice(0, -1).map(({ end }) => end)]);
      expect(ranges.at(-1)?.end).toBe((await readFile(join(world.logs, name))).length);
    }
  });
});
