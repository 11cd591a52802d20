import { access, constants, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { openNewFile } from "../fs/openNewFile.js";
import { foreignOwner, trustedOwners, type ForeignOwner } from "../source/stateDirOwner.js";
import { expandGlobs, MAX_WALK_DEPTH } from "../source/expandGlobs.js";
import { describeDirError } from "../source/describeDirError.js";
import type { RefusedLink } from "../source/linkTrust.js";
import { StateCorruptError, StateStore, StateTooNewError } from "../source/StateStore.js";
import type { CheckResult } from "./CheckResult.js";

/**
 * Each glob matches at least one file, and every match is readable by this user.
 * @param excludedDirs real paths of directories the shipper takes nothing from (the state dir): not counted either
 */
export async function checkGlob(pattern: string, excludedDirs: readonly string[] = []): Promise<CheckResult> {
  const name = `watch ${pattern}`;
  const problems: string[] = [];
  let cutAt: string | undefined;
  /** Links the symlink trust rule refuses (linkTrust): the daemon and --once skip them, at warn. */
  const refused: RefusedLink[] = [];
  const paths = await expandGlobs(
    [pattern],
    (dir, error) => problems.push(`${dir}: ${error.code ?? error.message}`),
    excludedDirs,
    (_pattern, dir) => (cutAt = dir),
    (refusal) => refused.push(refusal),
  );
  const unreadable: string[] = [];
  for (const path of paths) {
    await access(path, constants.R_OK).catch(() => unreadable.push(path));
  }
  const cut = cutAt === undefined ? undefined : `the walk stops ${MAX_WALK_DEPTH} directory levels below the glob's base, and ${cutAt} goes deeper`;
  if (paths.length === 0) {
    const notes = [...problems, ...refused.map((refusal) => `${refusal.link}: a symlink owned by uid ${refusal.linkOwner} whose target uid ${refusal.targetOwner} owns, not followed`)];
    if (cut !== undefined) notes.push(cut);
    // A directory this user may not list is its permissions' (README, operations.md): the service's groups.
    const denied = problems.some((problem) => /: (EACCES|EPERM)\b/.test(problem));
    return {
      name,
      status: "fail",
      detail: notes.length > 0 ? `matches no file (${notes.join("; ")})` : "matches no file",
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
  if (refused.length > 0) {
    const first = refused[0] as RefusedLink;
    return {
      name,
      status: "warn",
      detail: `${paths.length} readable file(s); ${refused.length} symlink(s) not followed (e.g. ${first.link}, owned by uid ${first.linkOwner}, to ${first.target}, owned by uid ${first.targetOwner})${cut === undefined ? "" : `; ${cut}`}`,
      fix: "a symlink in a watched tree is followed only if root or the owner of its target owns it: remove a link you did not make; chown -h one that is yours",
    };
  }
  if (cut !== undefined) {
    return {
      name,
      status: "warn",
      detail: `${paths.length} readable file(s); ${cut}`,
      fix: "files deeper are not shipped: narrow the glob, or start it lower",
    };
  }
  return { name, status: "ok", detail: `${paths.length} readable file(s)` };
}

/** The state directory can be created and written, and the state in it read as the shipper will. */
export async function checkStateDir(dir: string): Promise<CheckResult> {
  const probe = join(dir, `.check-${process.pid}`);
  let foreign: ForeignOwner | undefined;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Another user's directory is not written (its owner could have planted
    // a link at the probe's name), nor judged writable.
    foreign = await foreignOwner(dir);
    if (foreign === undefined) {
      const handle = await openNewFile(probe);
      try {
        await handle.writeFile("ok\n");
      } finally {
        await handle.close();
      }
      await rm(probe);
    }
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
  if (foreign !== undefined) {
    // `sudo ship-logs check` beside a service that runs as its own user (DynamicUser=) lands here: not a failure.
    return {
      name: "state dir",
      status: "warn",
      detail: `${dir} is owned by uid ${foreign.owner}, ${trustedOwners(foreign.user)}: not written by this check`,
      fix: `ship-logs run as uid ${foreign.user} refuses it (its owner could make ship-logs write through links planted in it); fine if the service runs as uid ${foreign.owner} (User=, DynamicUser=), else chown it or give ship-logs another --state-dir`,
    };
  }
  return { name: "state dir", status: "ok", detail: `${dir} is writable` };
}
