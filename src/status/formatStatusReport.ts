import { printable } from "../config/quote.js";
import type { StatusReport } from "./buildStatusReport.js";

function duration(seconds: number): string {
  if (seconds < 0) return "expired";
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, "0")}m` : `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n");
}

/** The human form of `ship-logs status`. */
export function formatStatusReport(report: StatusReport): string {
  const { daemon } = report;
  const lines: string[] = [];
  if (daemon === undefined) {
    lines.push(`daemon: no runtime status in ${printable(report.stateDir)} (never ran, or not with this state dir)`);
  } else if (!daemon.running) {
    // Its mode, PUT rate and credentials were those of a run that has ended:
    // shown, they read as the present.
    lines.push(`daemon: not running (last status ${daemon.updatedAt}; a daemon still starting, or waiting for IMDS, writes none yet)`);
  } else {
    const seconds = daemon.credentialSecondsToExpiry;
    const expiry = seconds === undefined ? "none yet" : seconds === null ? "never (keys without an expiry)" : duration(seconds);
    lines.push(
      `daemon: running (pid ${daemon.pid}), mode ${daemon.mode}` +
        `${daemon.notice ? ` after ${daemon.notice.kind} notice` : ""}, ${daemon.putsLastHour} PUTs in the last hour, credentials expire in ${expiry}` +
        `${daemon.failingSince ? `, uploads failing since ${daemon.failingSince}` : ""}`,
    );
  }
  const rows = [["FILE", "STATE", "SHIPPED", "BEHIND", "PENDING", "LAST UPLOAD"]];
  for (const file of report.files) {
    rows.push([
      // A name is anything but "/" and NUL: a newline in it would forge a row, an ESC drive the terminal.
      printable(file.path),
      file.state,
      String(file.shipped),
      file.bytesBehind === undefined ? "-" : String(file.bytesBehind),
      String(file.pendingUploads),
      file.lastUploadAt ?? "never",
    ]);
  }
  lines.push(report.files.length === 0 ? "no files tracked yet" : table(rows));
  const { spool } = report;
  if (spool.batches > 0) {
    // Shown apart from the files: a file truncated or deleted since no longer counts these lines.
    lines.push(`spool: ${spool.batches} batch(es), ${spool.bytes} bytes, whose upload a stop cancelled; sent at the next start`);
  }
  return `${lines.join("\n")}\n`;
}
