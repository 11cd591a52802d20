import { open, writeFile, type FileHandle } from "node:fs/promises";

/** Writes `content` to `path`, opens it for reading, and closes it once `use` is done. */
export async function withFileHandle<T>(path: string, content: Buffer | string, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  await writeFile(path, content);
  const handle = await open(path);
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}
