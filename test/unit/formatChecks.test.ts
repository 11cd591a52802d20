import { describe, expect, it } from "vitest";
import { formatChecks } from "../../src/check/formatChecks.js";

describe("formatChecks", () => {
  it("one line per check, names aligned, the fix after a failure or a warning", () => {
    expect(
      formatChecks([
        { name: "imds", status: "ok", detail: "token in 3 ms" },
        { name: "watch /var/log/*.log", status: "fail", detail: "matches no file", fix: "check the glob" },
      ]),
    ).toBe("OK    imds                  token in 3 ms\nFAIL  watch /var/log/*.log  matches no file — fix: check the glob\n");
  });

  it("escapes the control characters of globs and paths in names, details and fixes: each check stays one line and drives no terminal", () => {
    const text = formatChecks([
      { name: "watch /logs/\u001b[2J*.log", status: "fail", detail: "1 of 2 matching files are not readable (e.g. /logs/x\nOK    all good.log)", fix: "see /logs/\u009b31m" },
    ]);
    expect(text).toBe("FAIL  watch /logs/\\u001b[2J*.log  1 of 2 matching files are not readable (e.g. /logs/x\\u000aOK    all good.log) — fix: see /logs/\\u009b31m\n");
  });
});
