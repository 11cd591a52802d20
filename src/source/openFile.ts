import { constants } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";

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
 */
export async function openFile(path: string): Promise<OpenFile> {
  if (!(await stat(path)).isFile()) throw notRegular(path);
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat({ bigint: true });
    if (!info.isFile()) throw notRegular(path);
    return { path, handle, dev: info.dev.toString(), ino: info.ino.toString(), size: Number(info.size) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function notRegular(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${path} is not a regular file`), { code: "ENOTREGULAR" });
}

export async function currentSize(file: OpenFile): Promise<number> {
  return Number((await file.handle.stat({ bigint: true })).size);
}
