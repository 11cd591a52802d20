import { closeSync, openSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogDestination } from "../../src/log/LogDestination.js";
import { stalledPipe, type StalledPipe } from "../support/stalledPipe.js";

describe("LogDestination", () => {
  let pipe: StalledPipe;
  let writeEnd: number;
  beforeEach(async () => {
    pipe = await stalledPipe();
    writeEnd = pipe.writeEnd;
  });
  afterEach(async () => {
    await pipe.close();
  });
  const fillPipe = (): void => pipe.fill();
  const readAll = (): string => pipe.readAll();

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
    pipe.readSome(8192);
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
