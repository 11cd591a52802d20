import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { issuedSecrets, type World } from "./world.js";

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : Promise.resolve([join(dir, entry.name)]))),
  );
  return nested.flat();
}

/**
 * SPEC "Credentials": no secret access key or session token fake-imds ever issued appears in the
 * given process output (stdout, stderr) or in any file under the state directory.
 */
export async function assertNoSecretLeaks(world: World, outputs: readonly string[]): Promise<void> {
  const secrets = issuedSecrets(world);
  expect(secrets.length, "secrets issued").toBeGreaterThan(0);
  const places: Array<{ where: string; text: string }> = outputs.map((text, index) => ({ where: `output #${index}`, text }));
  for (const path of await filesUnder(world.state)) places.push({ where: path, text: await readFile(path, "latin1") });
  const leaks = places.flatMap(({ where, text }) =>
    secrets.filter((secret) => text.includes(secret)).map((secret) => `${where} holds a secret starting ${secret.slice(0, 4)}…`),
  );
  expect(leaks).toEqual([]);
}
