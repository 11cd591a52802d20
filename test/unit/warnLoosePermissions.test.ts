import { chmod, chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { warnLoosePermissions } from "../../src/cli/warnLoosePermissions.js";

const asRoot = process.getuid?.() === 0;

describe("warnLoosePermissions", () => {
  let dir: string;
  let config: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "loose-config-"));
    config = join(dir, "config.yaml");
    await writeFile(config, "flushInterval: 5\n", { mode: 0o644 });
    await chmod(config, 0o644);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function warnings(): Promise<Array<Record<string, unknown>>> {
    const lines: Array<Record<string, unknown>> = [];
    await warnLoosePermissions(config, pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) }));
    return lines;
  }

  it("says nothing of a file this user owns that only it may write", async () => {
    expect(await warnings()).toEqual([]);
  });

  it("says a file group or others may write", async () => {
    await chmod(config, 0o664);
    expect(await warnings()).toMatchObject([{ level: 40, mode: "664", msg: expect.stringMatching(/^config file is writable by group or others/) }]);
  });

  it.skipIf(!asRoot)("says a file owned by another user than root or this one (its owner may chmod it at will)", async () => {
    await chown(config, 65534, 65534);
    expect(await warnings()).toMatchObject([
      { level: 40, owner: 65534, user: 0, msg: "config file is owned by another user than root or the one ship-logs runs as: its owner can redirect the logs (chown root)" },
    ]);
  });
});
