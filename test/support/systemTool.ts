import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Where `name` is on PATH, if it is. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/**
 * Whether the tests that need a tool from Debian's packages (awscli,
 * systemd-analyze) can run. Without it, on a developer's machine, they are
 * skipped with a notice, so the README's `npm test` works with Node alone;
 * `.ci/run` installs the tools and sets SHIP_LOGS_REQUIRE_TOOLS=1, and there
 * a missing tool fails the file instead of skipping its tests.
 */
export function hasTool(name: string, install: string): boolean {
  if (onPath(name) !== undefined) return true;
  if (process.env.SHIP_LOGS_REQUIRE_TOOLS === "1") throw new Error(`${name} is not installed (${install}), and SHIP_LOGS_REQUIRE_TOOLS=1`);
  console.warn(`skipping the tests that need ${name}: it is not installed (${install})`);
  return false;
}
