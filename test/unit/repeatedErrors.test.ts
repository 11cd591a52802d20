import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RepeatedErrors } from "../../src/log/RepeatedErrors.js";

function recorder(): { lines: Record<string, unknown>[]; repeated: RepeatedErrors; clock: { now: number } } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const clock = { now: 0 };
  return { lines, clock, repeated: new RepeatedErrors(logger, "file watcher error", 60_000, () => clock.now) };
}

const loop = (i: number): Error => Object.assign(new Error(`ELOOP: too many symbolic links encountered, stat '/logs/d${i}/loop.log'`), { code: "ELOOP" });

describe("RepeatedErrors", () => {
  it("says a flood of one kind once, then its count once per interval", () => {
    const { lines, repeated, clock } = recorder();
    for (let i = 0; i < 672; i += 1) repeated.report(loop(i));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "file watcher error", code: "ELOOP" });
    clock.now = 59_000;
    repeated.summarize();
    expect(lines).toHaveLength(1);
    clock.now = 60_000;
    repeated.summarize();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ msg: "file watcher error (repeated)", code: "ELOOP", repeated: 671, lastErr: expect.stringContaining("d671") });
  });

  it("says each kind's first error at once, and again at once after a quiet interval", () => {
    const { lines, repeated, clock } = recorder();
    repeated.report(loop(1));
    repeated.report(Object.assign(new Error("EMFILE: too many open files"), { code: "EMFILE" }));
    expect(lines.map((l) => l.code)).toEqual(["ELOOP", "EMFILE"]);
    clock.now = 120_001;
    repeated.summarize();
    expect(lines).toHaveLength(2);
    repeated.report(loop(2));
    expect(lines).toHaveLength(3);
  });

  it("at stop, says what it counted", () => {
    const { lines, repeated } = recorder();
    repeated.report(loop(1));
    repeated.report(loop(2));
    repeated.summarize(0, true);
    expect(lines.at(-1)).toMatchObject({ code: "ELOOP", repeated: 1 });
  });
});
