/**
 * The rest of the line for a file truncated or replaced at its path with no
 * copy of its old content found (`file was truncated or replaced…`): from
 * which byte the old content's lines, if it had any, are lost. The likeliest
 * cause is named: a new file given a deleted rotated file's inode.
 */
export function lostWithoutCopy(lostFrom: number): string {
  return (
    `(a new file given the old one's inode: logrotate's compress without delaycompress), and no copy of its old content was found: ` +
    `the old content's lines after byte ${lostFrom}, if it had any, are lost; shipping the new content from the start`
  );
}
