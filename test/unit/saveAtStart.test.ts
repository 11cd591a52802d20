import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { S3Sink } from "../../src/sink/S3Sink.js";
import { saveAtStart } from "../../src/ship/saveAtStart.js";
import { StateSaveError } from "../../src/ship/StateSaveError.js";
import type { StateStore } from "../../src/source/StateStore.js";
import { inProcessContext } from "../support/inProcessContext.js";

/** A store whose saves fail with `code`, as the state dir's writes would. */
function failingStore(code: string): StateStore {
  return {
    dir: "/var/lib/ship-logs",
    save: () => Promise.reject(Object.assign(new Error(`${code}: failed, write`), { code })),
  } as unknown as StateStore;
}

describe("a state save that fails at start", () => {
  it.each(["ENOSPC", "EDQUOT", "EFBIG"])("a full state dir (%s) is said, and the start goes on", async (code) => {
    const logs: string[] = [];
    const ctx = inProcessContext(failingStore(code), { files: [] }, {
      sink: {} as S3Sink,
      logger: pino({ level: "info" }, { write: (line: string) => void logs.push(line) }),
    });
    await expect(saveAtStart(ctx)).resolves.toBeUndefined();
    expect(logs.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 50, code, stateDir: "/var/lib/ship-logs", msg: expect.stringMatching(/^cannot save state at start: the state dir is full; running on/) }),
    ]);
  });

  it.each([
    ["EMFILE", "cannot write to state directory /var/lib/ship-logs: EMFILE (too many open files: raise LimitNOFILE= or ulimit -n)"],
    ["EIO", "cannot write to state directory /var/lib/ship-logs: EIO"],
  ])("anything else (%s) ends the start with one line that names the state dir", async (code, message) => {
    const ctx = inProcessContext(failingStore(code), { files: [] }, { sink: {} as S3Sink });
    const failed = saveAtStart(ctx);
    await expect(failed).rejects.toBeInstanceOf(StateSaveError);
    await expect(failed).rejects.toThrow(message);
    await failed.catch((error: Error) => expect(error.message).toBe(message));
  });
});
