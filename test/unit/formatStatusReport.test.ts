import { describe, expect, it } from "vitest";
import type { FileStatus, StatusReport } from "../../src/status/buildStatusReport.js";
import { formatStatusReport } from "../../src/status/formatStatusReport.js";
import type { RuntimeStatus } from "../../src/status/RuntimeStatus.js";

function reportWithExpiry(seconds: number): StatusReport {
  const runtime: RuntimeStatus = {
    pid: 4242,
    startedAt: "2026-12-06T10:00:00.000Z",
    updatedAt: "2026-12-06T10:05:00.000Z",
    mode: "normal",
    notice: undefined,
    putsLastHour: 3,
    credentialSecondsToExpiry: seconds,
    failingSince: undefined,
    files: [],
  };
  // What `status` reads back: the daemon writes status.json with JSON.stringify.
  const written = JSON.parse(JSON.stringify(runtime)) as RuntimeStatus;
  return { stateDir: "/var/lib/ship-logs", daemon: { ...written, running: true, alive: true }, runtimeProblem: undefined, files: [], spool: { batches: 0, bytes: 0 } };
}

describe("formatStatusReport", () => {
  it("says why there is no runtime status when status.json is not a ship-logs status file", () => {
    const report: StatusReport = { ...reportWithExpiry(60), daemon: undefined, runtimeProblem: "status.json is not a ship-logs status file" };
    expect(formatStatusReport(report)).toBe("daemon: no runtime status in /var/lib/ship-logs (status.json is not a ship-logs status file)\nno files tracked yet\n");
  });

  it("says how long the credentials last", () => {
    expect(formatStatusReport(reportWithExpiry(3_725))).toContain("credentials expire in 1h02m");
    expect(formatStatusReport(reportWithExpiry(-5))).toContain("credentials expire in expired");
  });

  it("without credentials to sign with, says uploads wait for them, not that they fail: no request reaches S3", () => {
    const report = reportWithExpiry(-5);
    const waiting: StatusReport = {
      ...report,
      daemon: report.daemon && { ...report.daemon, credentialsValid: false, failingSince: "2026-12-06T10:04:00.000Z" },
    };
    const [first] = formatStatusReport(waiting).split("\n");
    expect(first).toBe(
      "daemon: running (pid 4242), mode normal, 3 PUTs in the last hour, credentials expired and cannot be renewed now: uploads wait until new ones can be fetched",
    );
    const none: StatusReport = { ...waiting, daemon: waiting.daemon && { ...waiting.daemon, credentialSecondsToExpiry: undefined } };
    expect(formatStatusReport(none)).toContain(", no credentials yet: uploads wait until they can be fetched\n");
  });

  it("says keys without an expiry never expire, not that they expire now", () => {
    expect(formatStatusReport(reportWithExpiry(Number.POSITIVE_INFINITY))).toContain("credentials expire in never (keys without an expiry)");
  });

  it("shows no mode, PUT rate or credentials of a daemon that is not running: they were the last run's", () => {
    const report = reportWithExpiry(3_725);
    const stopped: StatusReport = { ...report, daemon: report.daemon === undefined ? undefined : { ...report.daemon, running: false, alive: false } };
    const [first] = formatStatusReport(stopped).split("\n");
    expect(first).toBe("daemon: not running (last status 2026-12-06T10:05:00.000Z; a daemon still starting, or waiting for IMDS, writes none yet)");
  });

  it("escapes the control characters of a file name: a newline forges no row, an ESC or a CSI drives no terminal", () => {
    const report = reportWithExpiry(3_725);
    const file: FileStatus = {
      path: "/logs/evil\n  fake.log  shipped 999\u001b[31mRED\u009b0m.log",
      state: "following",
      shipped: 1,
      size: 1,
      bytesBehind: 0,
      pendingUploads: 0,
      lastUploadAt: undefined,
    };
    const text = formatStatusReport({ ...report, stateDir: "/state\u001b[2J", files: [file] });
    // The daemon line, the header, one row.
    expect(text.split("\n")).toHaveLength(4);
    expect(text).toContain("/logs/evil\\u000a  fake.log  shipped 999\\u001b[31mRED\\u009b0m.log  following");
    expect(text).not.toMatch(/[\u001b\u009b]/);
    const none = formatStatusReport({ ...report, daemon: undefined, stateDir: "/state\u001b[2J" });
    expect(none).toContain("no runtime status in /state\\u001b[2J (");
  });

  it("a stale status whose process is alive is not called 'not running': it may be unable to write its state dir", () => {
    const report = reportWithExpiry(3_725);
    const stale: StatusReport = { ...report, daemon: report.daemon && { ...report.daemon, running: false, alive: true } };
    const [first] = formatStatusReport(stale).split("\n");
    expect(first).toBe(
      "daemon: last status 2026-12-06T10:05:00.000Z, not updated since, though its process (pid 4242) is alive: it may be unable to write its state dir (full, read-only; see its log), or hung",
    );
  });

  it("names what the spool holds, which no file's BEHIND counts; nothing when it is empty", () => {
    const report = reportWithExpiry(3_725);
    expect(formatStatusReport(report)).not.toContain("spool");
    expect(formatStatusReport({ ...report, spool: { batches: 2, bytes: 2048 } })).toContain(
      "spool: 2 batch(es), 2048 bytes, whose upload a stop cancelled; sent at the next start",
    );
  });
});
