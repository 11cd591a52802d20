import { mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";

/**
 * The judgement saw evil.log lead to the application's own file; by the open,
 * the link leads to a secret (an application user flipping it in a loop).
 * Simulated: the judgement is made to report the own file's identity.
 */
const seen = { own: "" };
vi.mock("../../src/source/linkTrust.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/source/linkTrust.js")>();
  return {
    ...original,
    judgePath: async (): Promise<{ judged: Awaited<ReturnType<typeof stat>> }> => ({ judged: await stat(seen.own, { bigint: true }) }),
  };
});

const { openFile } = await import("../../src/source/openFile.js");

describe("openFile: a link swapped between the judgement and the open", () => {
  let dir = "";
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("opens nothing the judgement did not see (the identity is the judged object's, not a later stat's)", async () => {
    dir = await mkdtemp(join(tmpdir(), "swapped-link-"));
    seen.own = join(dir, "own.log");
    await writeFile(seen.own, "mine\n");
    await writeFile(join(dir, "secret"), "SECRET\n");
    await symlink(join(dir, "secret"), join(dir, "evil.log"));
    await expect(openFile(join(dir, "evil.log"), dir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
