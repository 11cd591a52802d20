import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/index.js";
import { parseCommandLine } from "../../src/config/parseCommandLine.js";

function errorOf(argv: readonly string[]): ConfigError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(argv)}`);
}

describe("parseCommandLine", () => {
  it("returns help for --help or -h anywhere before --, even next to errors", () => {
    expect(parseCommandLine(["--help"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["--bucket", "b", "-h"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["--no-such-flag", "bogus", "--help"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["--version", "--help"])).toEqual({ kind: "help" });
  });

  it("returns version for --version", () => {
    expect(parseCommandLine(["--version"])).toEqual({ kind: "version" });
    expect(parseCommandLine(["check", "--version"])).toEqual({ kind: "version" });
  });

  it("defaults the command to run and accepts check and status in any position", () => {
    expect(parseCommandLine([])).toEqual({ kind: "run", command: "run", flags: {} });
    expect(parseCommandLine(["check"])).toMatchObject({ command: "check" });
    expect(parseCommandLine(["--bucket", "b", "status"])).toMatchObject({ command: "status", flags: { bucket: "b" } });
    expect(parseCommandLine(["run"])).toMatchObject({ command: "run" });
  });

  it("reads --flag value and --flag=value, and collects a repeatable flag in order", () => {
    expect(parseCommandLine(["--watch", "/a", "--watch=/b", "--bucket=logs", "--prefix="])).toEqual({
      kind: "run",
      command: "run",
      flags: { watch: ["/a", "/b"], bucket: "logs", prefix: "" },
    });
  });

  it("reads a bare switch as true and accepts an explicit --once=false", () => {
    expect(parseCommandLine(["--once", "check"])).toMatchObject({ command: "check", flags: { once: "true" } });
    expect(parseCommandLine(["--once=false"])).toMatchObject({ flags: { once: "false" } });
  });

  it("takes a value that starts with a single dash", () => {
    expect(parseCommandLine(["--prefix", "-x/"])).toMatchObject({ flags: { prefix: "-x/" } });
  });

  it("treats everything after -- as positional", () => {
    expect(parseCommandLine(["--", "check"])).toMatchObject({ command: "check" });
    expect(errorOf(["--", "--help"]).message).toBe('ship-logs: unknown command "--help": expected one of run, check, status');
  });

  it.each([
    [["--bucktet", "x"], 'ship-logs: unknown option "--bucktet" (see --help)', "--bucktet"],
    [["--bucktet=x"], 'ship-logs: unknown option "--bucktet" (see --help)', "--bucktet"],
    [["-x"], 'ship-logs: unknown option "-x" (see --help)', "-x"],
    [["--help=yes"], 'ship-logs: unknown option "--help" (see --help)', "--help"],
    [["deploy"], 'ship-logs: unknown command "deploy": expected one of run, check, status', "deploy"],
    [["check", "status"], 'ship-logs: unexpected argument "status" (see --help)', "status"],
    [["--bucket"], 'ship-logs: --bucket: missing value NAME (write --bucket=VALUE for a value starting with "--")', "--bucket"],
    [["--prefix", "--once"], 'ship-logs: --prefix: missing value P (write --prefix=VALUE for a value starting with "--")', "--prefix"],
    [["--bucket", "a", "--bucket=b"], 'ship-logs: --bucket: given more than once ("a", then "b")', "--bucket"],
    [["--once", "--once"], 'ship-logs: --once: given more than once ("true", then "true")', "--once"],
  ])("refuses %j", (argv, message, subject) => {
    const error = errorOf(argv);
    expect(error.name).toBe("ConfigError");
    expect(error.message).toBe(message);
    expect(error.subject).toBe(subject);
  });

  it("keeps an unknown option with a line break on one line", () => {
    expect(errorOf(["--a\nb"]).message).toBe('ship-logs: unknown option "--a\\nb" (see --help)');
  });
});
