import { open } from "node:fs/promises";

/** Fsyncs a directory: a rename or an unlink in it is only durable once this returns. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
