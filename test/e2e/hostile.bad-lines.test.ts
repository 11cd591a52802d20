import { appendFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { assertNoSecretLeaks } from "../support/assertNoSecretLeaks.js";
import { baseArgs, runCli, startDaemon, startWorld, waitFor, type DaemonProcess, type World } from "../support/world.js";
import { bytesInS3, objectBodies, rewrittenObjects, sleep } from "./hostileSupport.js";

/** Lines no text-minded shipper should touch: each must arrive byte for byte. */
const NASTY = Buffer.concat([
  Buffer.from("plain ascii\n"),
  Buffer.from([0xff, 0xfe, 0x41, 0x0a]), // bytes that are never UTF-8
  Buffer.from([0x80, 0xbf, 0x0a]), // lone continuation bytes
  Buffer.from([0xc0, 0xaf, 0x0a]), // overlong "/"
  Buffer.from([0xed, 0xa0, 0x80, 0x0a]), // a UTF-16 surrogate, UTF-8 encoded
  Buffer.from([0x41, 0xe2, 0x82, 0x0a]), // a sequence cut short by the newline
  Buffer.from("\n\n\n"), // empty lines
  Buffer.from("windows line\r\n"),
  Buffer.from("\r\n"),
  Buffer.from("lone \r carriage return\n"),
  Buffer.from("nul\0in the\0middle\n"),
  Buffer.from([0x00, 0x0a]),
  Buffer.from("\uFEFFbyte-order mark, é ✓ 𝄞\n"),
  Buffer.from("\u2028line separator\u2029 and \x1b[31mansi\x1b[0m\n"),
]);

/**
 * Issue 7, case 3: an object holds the source file's bytes, not a re-encoding of them.
 * Invalid UTF-8, empty lines, CRLF, NUL: compared as Buffers, decompressed, with what
 * was written. (Huge lines are covered by the batch tests.)
 */
describe("hostile world: bad lines (e2e, real CLI, issue 7)", () => {
  let world: World | undefined;
  let daemon: DaemonProcess | undefined;

  afterEach(async () => {
    await daemon?.stop("SIGKILL");
    await world?.close();
    world = daemon = undefined;
  });

  it("--once: non-UTF-8, empty, CRLF and NUL lines arrive byte-exact, gzip and uncompressed", async () => {
    world = await startWorld();
    await writeFile(join(world.logs, "nasty.log"), NASTY);
    const gzip = await runCli(["--once", ...baseArgs(world), "--prefix", "gz/"]);
    expect(gzip.code, gzip.stderr).toBe(0);
    // A second state dir, so the same file is shipped again, uncompressed.
    const plainArgs = baseArgs(world);
    plainArgs[plainArgs.indexOf("--state-dir") + 1] = join(world.dir, "state-plain");
    const plain = await runCli(["--once", ...plainArgs, "--prefix", "plain/", "--compression", "none"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(bytesInS3(world, "nasty.log", "gz/").equals(NASTY)).toBe(true);
    expect(bytesInS3(world, "nasty.log", "plain/").equals(NASTY)).toBe(true);
    await assertNoSecretLeaks(world, [gzip.stdout, gzip.stderr, plain.stdout, plain.stderr]);
  });

  it("daemon: random bytes, appended in pieces cut anywhere (inside a UTF-8 sequence, between \\r and \\n), arrive byte-exact in whole lines", async () => {
    world = await startWorld();
    const path = join(world.logs, "random.log");
    // 400 lines of arbitrary bytes (any byte but \n), then the nasty ones, in a fixed random order.
    const lines = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 200, size: "max" }), { seed: 7, numRuns: 400 });
    const body = Buffer.concat([
      ...lines.map((bytes) => Buffer.concat([Buffer.from(bytes.map((b) => (b === 0x0a ? 0x0d : b))), Buffer.from("\n")])),
      NASTY,
    ]);
    // Cut points: random, plus ones that split "é" (0xc3 0xa9), "𝄞" and a "\r\n".
    const special = [body.indexOf(Buffer.from("é")) + 1, body.indexOf(Buffer.from("𝄞")) + 2, body.indexOf(Buffer.from("\r\n")) + 1];
    const cuts = [...new Set([...fc.sample(fc.integer({ min: 1, max: body.length - 1 }), { seed: 11, numRuns: 40 }), ...special])].sort((a, b) => a - b);
    await writeFile(path, "");
    daemon = startDaemon([...baseArgs(world), "--flush-interval", "0.2", "--batch-max-bytes", "2048"]);
    await daemon.waitForLog(/"msg":"watching"/);
    let from = 0;
    for (const [index, cut] of [...cuts, body.length].entries()) {
      await appendFile(path, body.subarray(from, cut));
      from = cut;
      // Now and then a pause longer than the flush interval: a partial line must wait for its newline.
      if (index % 8 === 0) await sleep(500);
    }
    await waitFor(() => bytesInS3(world!, "random.log").length >= body.length, 20_000, "every byte in S3");
    const result = await daemon.stop();
    expect(result.code, result.stderr).toBe(0);
    const shipped = bytesInS3(world, "random.log");
    expect(shipped.length).toBe(body.length);
    expect(shipped.equals(body)).toBe(true);
    // Objects are cut between lines only, never inside one.
    const objects = objectBodies(world, "random.log");
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) expect(object.at(-1)).toBe(0x0a);
    expect(rewrittenObjects(world)).toEqual([]);
    await assertNoSecretLeaks(world, [result.stdout, result.stderr]);
  }, 60_000);
});
