import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogDestination } from "../../src/log/LogDestination.js";

describe("LogDestination", () => {
  let dir: string;
  let writeEnd: number;
  let readEnd: number;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "log-destination-"));
    // A FIFO opened non-blocking: once its 64 KiB are full, every write fails with EAGAIN, as a stalled journal does.
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    writeEnd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  });
  afterEach(async () => {
    closeSync(writeEnd);
    closeSync(readEnd);
    await rm(dir, { recursive: true, force: true });
  });

  function fillPipe(): void {
    const block = Buffer.alloc(4096, "f");
    for (;;) {
      try {
        writeSync(writeEnd, block);
      } catch {
        return;
      }
    }
  }

  function readAll(): string {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(65536);
    for (;;) {
      let n = 0;
      try {
        n = readSync(readEnd, buffer);
      } catch {
        break;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  it("never throws while the log cannot be written, holds the newest lines up to its bound, and writes them, and every later line, once it can", () => {
    const destination = new LogDestination(writeEnd, 100);
    fillPipe();
    expect(() => {
      for (let i = 0; i < 20; i += 1) destination.write(`held ${String(i).padStart(2, "0")}\n`);
    }).not.toThrow();
    // The pipe's reader catches up: the filler goes, then the held lines with the next write.
    expect(readAll()).toMatch(/^f+$/);
    destination.write("after\n");
    destination.write("and on\n");
    const lines = readAll().split("\n").filter(Boolean);
    // 100 bytes held the last 12 lines of 8 bytes, then "after" took the place of the oldest: the oldest go first.
    expect(lines).toEqual([...Array.from({ length: 11 }, (_, i) => `held ${String(i + 9).padStart(2, "0")}`), "after", "and on"]);
  });

  it("writes what it holds while nothing is logged, once the log can take it", async () => {
    const destination = new LogDestination(writeEnd);
    fillPipe();
    destination.write("held while idle\n");
    expect(readAll()).toMatch(/^f+$/);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(readAll()).toBe("held while idle\n");
  });

  it("never drops the rest of a line it started to write: no two lines run into one", () => {
    const destination = new LogDestination(writeEnd, 64 * 1024);
    fillPipe();
    // Room for part of a long line only: the rest is held.
    const room = Buffer.alloc(8192);
    readSync(readEnd, room);
    const long = `${JSON.stringify({ msg: "long", detail: "d".repeat(20_000) })}\n`;
    destination.write(long);
    // More than the bound while the pipe stays full: the oldest whole lines go.
    for (let i = 0; i < 500; i += 1) destination.write(`${JSON.stringify({ msg: "held", i, pad: "p".repeat(400) })}\n`);
    let text = readAll();
    for (let i = 0; i < 50 && !text.includes('"after"'); i += 1) {
      destination.write(`${JSON.stringify({ msg: "after" })}\n`);
      text += readAll();
    }
    const lines = text.replace(/^f+/, "").split("\n").filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line.slice(0, 80)).not.toThrow();
    expect(lines[0]).toBe(long.trimEnd());
  });

  it("on a full disk (/dev/full) too: no throw, however long it lasts", () => {
    const full = openSync("/dev/full", "w");
    try {
      const destination = new LogDestination(full);
      expect(() => {
        for (let i = 0; i < 5_000; i += 1) destination.write(`${"x".repeat(500)}\n`);
      }).not.toThrow();
    } finally {
      closeSync(full);
    }
  });
});

describe("LogDestination at exit", () => {
  it("a reader of stderr that stalls for two seconds still gets the last line written before the process ends", async () => {
    const { spawn } = await import("node:child_process");
    const module = new URL("../../dist/log/LogDestination.js", import.meta.url).href;
    // 2 MiB of lines into stderr while the reader does not read, then a last line, then the end of the script.
    // process.stderr made, as some module of the daemon does: a pipe's descriptor is non-blocking from then on.
    const script = `void process.stderr.fd;
      const { LogDestination } = await import(${JSON.stringify(module)});
      const destination = new LogDestination(2);
      for (let i = 0; i < 20000; i += 1) destination.write("line " + i + " " + "x".repeat(100) + "\\n");
      destination.write("the last line\\n");`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "pipe"] });
    const chunks: Buffer[] = [];
    child.stderr.pause();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.resume();
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(Buffer.concat(chunks).toString("utf8").endsWith("the last line\n")).toBe(true);
  }, 20_000);
});
