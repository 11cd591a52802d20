import { realpath, stat } from "node:fs/promises";

/** The state dir belongs to another user than the one ship-logs runs as. */
export interface ForeignOwner {
  /** The directory itself, symlinks resolved: what the checks looked at. */
  real: string;
  owner: number;
  user: number;
}

/**
 * Whether `dir` (which exists) is owned by another user than this process's
 * effective one or root. Whoever owns the state dir can plant symlinks where
 * ship-logs writes its temp files, and swap state.json or the spool: a root
 * shipper in a directory another user owns writes where that user wants. So
 * a root shipper uses a dir owned by root only, and a service user its own
 * (systemd's StateDirectory= chowns it to the unit's user, DynamicUser=
 * included) or root's, which it may not be able to write (said as EACCES
 * then), as sshd's StrictModes trusts root and the user. The real directory
 * is judged: a symlink to it is only a name.
 * Undefined where the process has no uid (not POSIX) or the owner is trusted.
 */
export async function foreignOwner(dir: string): Promise<ForeignOwner | undefined> {
  const user = process.geteuid?.();
  if (user === undefined) return undefined;
  const real = await realpath(dir);
  const { uid } = await stat(real);
  return uid === user || uid === 0 ? undefined : { real, owner: uid, user };
}

/** Whom the owner is not: "root, the user ship-logs runs as (uid 0)", or "the user ship-logs runs as (uid N) nor root". */
export function trustedOwners(user: number): string {
  return user === 0 ? "not root, the user ship-logs runs as (uid 0)" : `neither the user ship-logs runs as (uid ${user}) nor root`;
}

/** For an error line: who owns it, and why that is refused. */
export function describeForeignOwner({ real, owner, user }: ForeignOwner, dir: string): string {
  const where = real === dir ? "" : ` (${real})`;
  return `owned by uid ${owner}, ${trustedOwners(user)}${where}: that user could make ship-logs write through links planted in it; chown it to uid ${user}, or give ship-logs a state directory of its own`;
}
