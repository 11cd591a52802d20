import { statSync, type BigIntStats, type Stats } from "node:fs";
import { lstat, realpath, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { isWithin } from "./isWithin.js";

/**
 * The symlink trust rule, after the kernel's fs.protected_symlinks: a symlink
 * found inside a watched tree is followed only if the link itself is owned by
 * root, or by the owner of what it leads to. ship-logs runs as root (or with
 * the adm group): without the rule, an application user who can write its own
 * log directory plants `evil.log -> /root/secret` there, and the secret is
 * shipped to S3; or `sub/root -> /`, and a `**` glob walks and watches the
 * whole host. Links made by root (an operator's /var/log/app -> /data/app/logs,
 * kubelet's /var/log/containers/*.log) and an application's links to its own
 * files keep working. The --watch path itself and a glob's base (the
 * directories before its first wildcard) are the operator's choice: only
 * links below them are judged.
 */
export interface RefusedLink {
  /** The link, as found (its spelled path). */
  link: string;
  linkOwner: number;
  /** Where it leads (its real path, as far as it can be told). */
  target: string;
  targetOwner: number;
}

/** What is said (at warn, once per link) when a link is not followed. */
export const REFUSED_LINK =
  "symlink not followed: it is owned by neither root nor the owner of what it leads to (a link planted by an unprivileged user to a file or directory of another user); its target is not read nor shipped. If it is yours, chown -h it to root or to the target's owner";

/** Thrown by openFile for a path that goes through a link the rule refuses. */
export class RefusedLinkError extends Error {
  readonly code = "EUNTRUSTEDLINK";
  constructor(readonly refusal: RefusedLink) {
    super(`${refusal.link} is a symlink owned by uid ${refusal.linkOwner} to ${refusal.target}, owned by uid ${refusal.targetOwner}: not followed`);
  }
}

export function isRefusedLink(error: unknown): error is RefusedLinkError {
  return error instanceof RefusedLinkError;
}

/** The rule itself. */
export function linkTrusted(linkOwner: number, targetOwner: number): boolean {
  return linkOwner === 0 || linkOwner === targetOwner;
}

/**
 * Judges one link (lstat'd already as `link`): the refusal, or undefined when
 * it is trusted or leads nowhere (a dangling link is left to fail as it
 * always did: nothing is there to read).
 */
export async function judgeLink(path: string, link: Pick<Stats, "uid">): Promise<RefusedLink | undefined> {
  const target = await stat(path).catch(() => undefined);
  if (target === undefined || linkTrusted(link.uid, target.uid)) return undefined;
  return { link: path, linkOwner: link.uid, target: await realpath(path).catch(() => path), targetOwner: target.uid };
}

/** judgeLink without waiting: for chokidar's `ignored`, which is synchronous. */
export function judgeLinkSync(path: string, link: Pick<Stats, "uid">): RefusedLink | undefined {
  let target: Stats;
  try {
    target = statSync(path);
  } catch {
    return undefined;
  }
  return linkTrusted(link.uid, target.uid) ? undefined : { link: path, linkOwner: link.uid, target: path, targetOwner: target.uid };
}

/**
 * The judgement of a path: the first link the rule refuses on the way from
 * `from` (trusted: a glob's base, or a directory already judged) down to
 * `path`, or else what the path led to when it was judged (`judged`: the
 * target's stat if its last component is a link, its lstat if not; undefined
 * if a component is missing, and the open that follows fails as it always
 * did). Each component below `from` is lstat'd, and each link among them
 * judged. A path not below `from` has its last component judged only.
 */
export async function judgePath(path: string, from: string): Promise<{ refusal: RefusedLink } | { judged: BigIntStats | undefined }> {
  let rel = relative(from, path);
  let at = from;
  if (rel === "") return { judged: await stat(path, { bigint: true }).catch(() => undefined) };
  if (rel === ".." || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) {
    at = dirname(path);
    rel = relative(at, path);
  }
  let judged: BigIntStats | undefined;
  for (const name of rel.split(sep)) {
    at = join(at, name);
    const info = await lstat(at, { bigint: true }).catch(() => undefined);
    if (info === undefined) return { judged: undefined };
    if (!info.isSymbolicLink()) {
      judged = info;
      continue;
    }
    const target = await stat(at, { bigint: true }).catch(() => undefined);
    if (target === undefined) return { judged: undefined };
    if (!linkTrusted(Number(info.uid), Number(target.uid))) {
      return { refusal: { link: at, linkOwner: Number(info.uid), target: await realpath(at).catch(() => at), targetOwner: Number(target.uid) } };
    }
    judged = target;
  }
  return { judged };
}

/**
 * Where the judgement of a watched path starts: the deepest glob base (or
 * plain --watch path) it is at or below; the path's own directory if none.
 */
export function judgedFrom(bases: readonly string[]): (path: string) => string {
  const sorted = [...new Set(bases)].sort((a, b) => b.length - a.length);
  return (path) => sorted.find((base) => isWithin(path, base)) ?? dirname(path);
}
