import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A FIFO opened non-blocking at both ends: once its 64 KiB are full, every
 * write fails with EAGAIN, as one to a stalled journal does, until `readAll`
 * plays the reader catching up.
 */
export interface StalledPipe {
  writeEnd: number;
  /** Fills the pipe: from now on writes fail with EAGAIN. */
  fill(): void;
  /** Everything the pipe holds, read now. */
  readAll(): string;
  /** Reads `bytes` of what the pipe holds: room for that much. */
  readSome(bytes: number): void;
  close(): Promise<void>;
}

export async function stalledPipe(): Promise<StalledPipe> {
  const dir = await mkdtemp(join(tmpdir(), "stalled-pipe-"));
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  return {
    writeEnd,
    fill() {
      const block = Buffer.alloc(4096, "f");
      for (;;) {
        try {
          writeSync(writeEnd, block);
        } catch {
          return;
        }
      }
    },
    readAll() {
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
    },
    readSome(bytes) {
      readSync(readEnd, Buffer.alloc(bytes));
    },
    async close() {
      closeSync(writeEnd);
      closeSync(readEnd);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
