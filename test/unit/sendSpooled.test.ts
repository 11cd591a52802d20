import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sendSpooled } from "../../src/ship/sendSpooled.js";
import { Spool } from "../../src/sink/Spool.js";
import type { S3Object, S3Sink } from "../../src/sink/S3Sink.js";
import { StateStore } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";

describe("sendSpooled", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "send-spooled-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a batch sent from the spool counts in every total, bytes read (before compression) included", async () => {
    const spool = new Spool(join(dir, "state", "spool"), pino({ level: "silent" }));
    const lines = "spool1\nspool2\nspool3\n";
    const body = gzipSync(lines);
    await spool.save({ key: "i-0abc/s.log/7-28.log.gz", body, contentType: "application/gzip", metadata: { "byte-range": "7-28", lines: "3" } });
    const stored: S3Object[] = [];
    const sink = { put: async (object: S3Object) => void stored.push(object), cancelled: false } as unknown as S3Sink;
    const ctx = inProcessContext(new StateStore(join(dir, "state")), { files: [] }, { sink, spool });

    expect(await sendSpooled(ctx)).toEqual([]);

    expect(stored.map((object) => object.key)).toEqual(["i-0abc/s.log/7-28.log.gz"]);
    // ship_logs_bytes_read_total: the raw bytes of the lines the object holds, as for any other batch.
    expect(ctx.stats).toEqual({ lines: 3, bytesIn: Buffer.byteLength(lines), bytesOut: body.length, objects: 1 });
  });
});
