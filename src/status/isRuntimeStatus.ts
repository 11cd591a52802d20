import type { RuntimeStatus } from "./RuntimeStatus.js";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optional(value: unknown, type: "string" | "number" | "boolean"): boolean {
  return value === undefined || typeof value === type;
}

/** A followed file as status needs it; dev, ino and detached are absent from an older release's status. */
function isFileLag(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value.path === "string" &&
    typeof value.bytesBehind === "number" &&
    optional(value.dev, "string") &&
    optional(value.ino, "string") &&
    optional(value.detached, "boolean")
  );
}

function isUnreadableFile(value: unknown): boolean {
  return isObject(value) && typeof value.path === "string" && typeof value.code === "string" && optional(value.size, "number");
}

/**
 * status.json as a ship-logs daemon writes it (this release's or an older
 * one's): anything else in its place, parsed as such, would make `status`
 * fail on a missing field, or report figures nobody wrote.
 */
export function isRuntimeStatus(value: unknown): value is RuntimeStatus {
  return (
    isObject(value) &&
    typeof value.pid === "number" &&
    typeof value.startedAt === "string" &&
    typeof value.updatedAt === "string" &&
    (value.mode === "normal" || value.mode === "urgent") &&
    (value.notice === undefined || isObject(value.notice)) &&
    typeof value.putsLastHour === "number" &&
    (value.credentialSecondsToExpiry === null || optional(value.credentialSecondsToExpiry, "number")) &&
    optional(value.credentialsValid, "boolean") &&
    optional(value.failingSince, "string") &&
    Array.isArray(value.files) &&
    value.files.every(isFileLag) &&
    (value.unreadable === undefined || (Array.isArray(value.unreadable) && value.unreadable.every(isUnreadableFile)))
  );
}
