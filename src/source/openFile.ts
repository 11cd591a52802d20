import { constants } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { judgePath, RefusedLinkError } from "./linkTrust.js";

/** A source file, open for reading, with the identity the kernel gives it. */
export interface OpenFile {
  path: string;
  handle: FileHandle;
  dev: string;
  ino: string;
  size: number;
}

/**
 * Opens and stats through the same descriptor, so the identity and size
 * belong to the file actually read even if the path is rotated meanwhile.
 * Device and inode are kept as strings: inode numbers can exceed 2^53.
 * Only regular files: the searches for a rotated file or a copytruncate copy
 * open every file of a directory. A named pipe is refused before it is
 * opened: opening it releases a writer waiting for a reader, which our
 * close would then leave with EPIPE. Should one appear between the stat and
 * the open, O_NONBLOCK (which regular files ignore) keeps the open from
 * waiting for a writer, and the stat through the descriptor refuses it.
 *
 * Every symlink on the way from `judgeFrom` (a glob's base, or a directory
 * judged already; by default the path's own directory, so its last
 * component) is judged by the symlink trust rule (linkTrust) before anything
 * is opened: a refused one throws RefusedLinkError. A last component
 * swapped between that judgement and the open is caught by the identity: the
 * file opened must be the one the judgement saw. (A directory swapped for a
 * link between the judgement of two components is not: Node cannot open one
 * component at a time without following links.)
 */
export async function openFile(path: string, judgeFrom: string = dirname(path)): Promise<OpenFile> {
  // A rotation can replace the file between the stat and the open, too: a few tries.
  for (let tries = 1; ; tries += 1) {
    const judgement = await judgePath(path, judgeFrom);
    if ("refusal" in judgement) throw new RefusedLinkError(judgement.refusal);
    // What the judgement saw, not a stat of its own: a link swapped after the
    // judgement would pass a later stat, and the open follow it (an
    // application user flipping evil.log between its own file and a secret).
    const judged = judgement.judged ?? (await stat(path, { bigint: true }));
    if (!judged.isFile()) throw notRegular(path);
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat({ bigint: true });
      if (!info.isFile()) throw notRegular(path);
      if (info.dev !== judged.dev || info.ino !== judged.ino) {
        if (tries < 3) {
          await handle.close();
          continue;
        }
        throw changedWhileOpened(path);
      }
      return { path, handle, dev: info.dev.toString(), ino: info.ino.toString(), size: Number(info.size) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}

/** Replaced between the judgement and the open (a rotation, or a link swapped): looked at again at the next event or scan. */
function changedWhileOpened(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${path} was replaced while it was being opened`), { code: "ENOENT" });
}

function notRegular(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${path} is not a regular file`), { code: "ENOTREGULAR" });
}

export async function currentSize(file: OpenFile): Promise<number> {
  return Number((await file.handle.stat({ bigint: true })).size);
}
