import { printable } from "../config/quote.js";
import type { StatusReport } from "./buildStatusReport.js";

function duration(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, "0")}m` : `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
}

/**
 * Without valid credentials no upload is even sent: that is said as the
 * cause, not as S3 failing ("uploads failing" is for what S3 answered).
 * @param valid false while the daemon has no credentials it can sign with (undefined: a status.json without the field)
 */
function credentialsText(seconds: number | null | undefined, valid: boolean | undefined): string {
  if (valid === false) {
    return seconds === undefined || seconds === null
      ? "no credentials yet: uploads wait until they can be fetched"
      : "credentials expired and cannot be renewed now: uploads wait until new ones can be fetched";
  }
  if (seconds === undefined) return "credentials expire in none yet";
  if (seconds === null) return "credentials expire in never (keys without an expiry)";
  // Keys still in use although this host's clock says they have expired (a fast clock).
  if (seconds < 0) return "credentials expire in expired";
  return `credentials expire in ${duration(seconds)}`;
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
    const why = report.runtimeProblem ?? "never ran, or not with this state dir";
    lines.push(`daemon: no runtime status in ${printable(report.stateDir)} (${why})`);
  } else if (!daemon.running && daemon.alive === true) {
    // Its process is there, yet status.json is stale: whether it is hung or
    // cannot write (a full or read-only state dir) only its log can say.
    lines.push(
      `daemon: last status ${daemon.updatedAt}, not updated since, though its process (pid ${daemon.pid}) is alive: it may be unable to write its state dir (full, read-only; see its log), or hung`,
    );
  } else if (!daemon.running) {
    // Its mode, PUT rate and credentials were those of a run that has ended:
    // shown, they read as the present.
    lines.push(`daemon: not running (last status ${daemon.updatedAt}; a daemon still starting, or waiting for IMDS, writes none yet)`);
  } else {
    lines.push(
      `daemon: running (pid ${daemon.pid}), mode ${daemon.mode}` +
        `${daemon.notice ? ` after ${daemon.notice.kind} notice` : ""}, ${daemon.putsLastHour} PUTs in the last hour, ${credentialsText(daemon.credentialSecondsToExpiry, daemon.credentialsValid)}` +
        // Without credentials nothing is sent: what S3 answered last (an ExpiredToken as the keys ran out) is not the cause now.
        `${daemon.failingSince && daemon.credentialsValid !== false ? `, uploads failing since ${daemon.failingSince}` : ""}`,
    );
  }
  const rows = [["FILE", "STATE", "SHIPPED", "BEHIND", "PENDING", "LAST UPLOAD"]];
  for (const file of report.files) {
    rows.push([
      // A name is anything but "/" and NUL: a newline in it would forge a row, an ESC drive the terminal.
      printable(file.path),
      file.state === "unreadable" && file.code ? `unreadable (${file.code})` : file.state,
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
