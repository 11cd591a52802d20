import { describe, expect, it } from "vitest";
import { couldNotShipLine, failureReport } from "../../src/cli/failureReport.js";
import { FatalError } from "../../src/errors/FatalError.js";
import { ConfigError } from "../../src/config/index.js";
import { StateSaveError } from "../../src/ship/StateSaveError.js";

describe("failureReport", () => {
  it("a configuration error: its line, exit 2", () => {
    expect(failureReport(new ConfigError("--bucket: expected a name", "--bucket"))).toEqual({ line: "ship-logs: --bucket: expected a name", exitCode: 2 });
  });

  it("what the operator can act on: one line, exit 1, no stack", () => {
    expect(failureReport(new FatalError("cannot ship"))).toEqual({ line: "ship-logs: cannot ship", exitCode: 1 });
    const full = new StateSaveError("/var/lib/ship-logs", Object.assign(new Error("no space"), { code: "ENOSPC" }));
    expect(failureReport(full)).toEqual({ line: "ship-logs: cannot write to state directory /var/lib/ship-logs: ENOSPC", exitCode: 1 });
    const oddDir = new StateSaveError("/var/lib/x\n\u001b[2Aok", Object.assign(new Error("no space"), { code: "ENOSPC" }));
    expect(failureReport(oddDir)).toEqual({ line: "ship-logs: cannot write to state directory /var/lib/x\\u000a\\u001b[2Aok: ENOSPC", exitCode: 1 });
  });

  it("a descriptor limit too low for even the start (EMFILE while modules still load): one line naming the limit, not an internal error", () => {
    const loading = Object.assign(new Error("EMFILE: too many open files, open '/opt/ship-logs/dist/credentials/fromImds.js'"), { code: "EMFILE" });
    expect(failureReport(loading)).toEqual({ line: "ship-logs: too many open files (EMFILE): raise LimitNOFILE= or ulimit -n (at least 256)", exitCode: 1 });
  });

  it("anything else is a bug: reported with its stack", () => {
    const report = failureReport(new TypeError("x is undefined"));
    expect(report.exitCode).toBe(1);
    expect(report.line).toMatch(/^ship-logs: internal error: TypeError: x is undefined\n\s+at /);
  });
});

describe("couldNotShipLine (--once, exit 1)", () => {
  it("names the first failure and counts the others", () => {
    expect(couldNotShipLine(["/var/log/a.log: AccessDenied", "/var/log/b.log: AccessDenied"])).toBe(
      "ship-logs: could not ship everything: /var/log/a.log: AccessDenied (and 1 more)",
    );
  });

  it("stays one line, and moves no cursor, whatever a file name holds: its control characters are escaped", () => {
    const line = couldNotShipLine(["cannot read /logs/x\n\u001b[2Aship-logs: all good.log: EACCES"]);
    expect(line).toBe("ship-logs: could not ship everything: cannot read /logs/x\\u000a\\u001b[2Aship-logs: all good.log: EACCES");
    expect(couldNotShipLine(["/logs/\u009b31m\u007f\r.log"])).toBe("ship-logs: could not ship everything: /logs/\\u009b31m\\u007f\\u000d.log");
  });
});
