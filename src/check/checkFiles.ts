import { access, constants, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expandGlobs } from "../source/expandGlobs.js";
import { describeDirError } from "../source/describeDirError.js";
import { StateCorruptError, StateStore, StateTooNewError } from "../source/StateStore.js";
import type { CheckResult } from "./CheckResult.js";

/**
 * Each glob matches at least one file, and every match is readable by this user.
 * @param excludedDirs real paths of directories the shipper takes nothing from (the state dir): not counted either
 */
export async function checkGlob(pattern: string, excludedDirs: readonly string[] = []): Promise<CheckResult> {
  const name = `watch ${pattern}`;
  const problems: string[] = [];
  const paths = await expandGlobs([pattern], (dir, error) => problems.push(`${dir}: ${error.code ?? error.message}`), excludedDirs);
  const unreadable: string[] = [];
  for (const path of paths) {
    await access(path, constants.R_OK).catch(() => unreadable.push(path));
  }
  if (paths.length === 0) {
    // A directory this user may not list is its permissions' (README, operations.md): the service's groups.
    const denied = problems.some((problem) => /: (EACCES|EPERM)\b/.test(problem));
    return {
      name,
      status: "fail",
      detail: problems.length > 0 ? `matches no file (${problems.join("; ")})` : "matches no file",
      fix: denied
        ? "give the service access to the directory: SupplementaryGroups= with its group (e.g. SupplementaryGroups=adm), or adjust its mode"
        : "check the glob; under systemd the unit must be able to see the directory (ReadOnlyPaths=, ProtectHome=)",
    };
  }
  if (problems.length > 0) {
    // What --once would fail on, and a daemon report: a directory the glob
    // needs that this user cannot list hides whatever it holds.
    return {
      name,
      status: "fail",
      detail: `cannot list ${problems.join("; ")}`,
      fix: "give the service access to the directory (SupplementaryGroups= with its group, e.g. adm), or narrow the glob so that it does not reach a directory that must stay private (e.g. {nginx,app}/*.log)",
    };
  }
  if (unreadable.length > 0) {
    return {
      name,
      status: "fail",
      detail: `${unreadable.length} of ${paths.length} matching files are not readable (e.g. ${unreadable[0]})`,
      fix: "give the service read access: SupplementaryGroups= with the files' group (e.g. adm), or adjust their mode",
    };
  }
  return { name, status: "ok", detail: `${paths.length} readable file(s)` };
}

/** The state directory can be created and written, and the state in it read as the shipper will. */
export async function checkStateDir(dir: string): Promise<CheckResult> {
  const probe = join(dir, `.check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(probe, "ok\n", { mode: 0o600 });
    await rm(probe);
  } catch (error) {
    return {
      name: "state dir",
      status: "fail",
      detail: `${dir}: ${await describeDirError(dir, error)}`,
      fix: "use --state-dir on a writable disk (systemd: StateDirectory=ship-logs sets $STATE_DIRECTORY)",
    };
  }
  try {
    await new StateStore(dir).load();
  } catch (error) {
    if (error instanceof StateTooNewError) {
      return { name: "state dir", status: "fail", detail: error.message, fix: error.advice };
    }
    if (error instanceof StateCorruptError) {
      return { name: "state dir", status: "fail", detail: error.message, fix: "the shipper will move it aside and ship every watched file again from its start; look at it first" };
    }
    return { name: "state dir", status: "fail", detail: `${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, fix: "make the state file readable by the service" };
  }
  return { name: "state dir", status: "ok", detail: `${dir} is writable` };
}
