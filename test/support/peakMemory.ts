import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanEnv, type World } from "./world.js";

const PRELOAD = fileURLToPath(new URL("./peakMemoryPreload.mjs", import.meta.url));

/** An environment for `runCli`/`startDaemon` under which the process records its peak RSS as it exits. */
export function peakMemoryEnv(world: World, name: string): { env: NodeJS.ProcessEnv; peakMiB(): Promise<number> } {
  const file = join(world.dir, `${name}.peak`);
  return {
    env: cleanEnv({ NODE_OPTIONS: `--import=${PRELOAD}`, TEST_PEAK_MEMORY_FILE: file }),
    async peakMiB() {
      const text = await readFile(file, "utf8");
      await rm(file);
      const kib = Number(text);
      if (!(kib > 0)) throw new Error(`no peak memory recorded in ${file} (${JSON.stringify(text)})`);
      return kib / 1024;
    },
  };
}
