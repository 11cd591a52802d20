import { appendFileSync, copyFileSync, mkdirSync, renameSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useScenario } from "../support/scenario.js";
import { baseArgs, linesInS3, runCli, waitFor } from "../support/world.js";

/*
 * /var/log/containers/*.log are symlinks to /var/log/pods/<pod>/<container>/0.log,
 * which the runtime rotates by rename in the pod's directory: the rotated file
 * and a copytruncate's copy are there, not beside the link.
 */
describe("a --watch path that is a symlink into another directory, as /var/log/containers/*.log on Kubernetes (e2e, real CLI)", () => {
  const scenario = useScenario();

  it("--once: a line written before the target is renamed away between two runs arrives", async () => {
    const w = await scenario.startWorld();
    const pods = join(w.dir, "pods");
    mkdirSync(pods);
    writeFileSync(join(pods, "0.log"), "a1\n");
    symlinkSync(join(pods, "0.log"), join(w.logs, "app.log"));
    const first = await runCli([...baseArgs(w), "--once"]);
    expect(first.code, first.stderr).toBe(0);
    appendFileSync(join(pods, "0.log"), "a2\n");
    renameSync(join(pods, "0.log"), join(pods, "0.log.20250101-000000"));
    writeFileSync(join(pods, "0.log"), "b1\n");
    const second = await runCli([...baseArgs(w), "--once"]);
    const lines = [...linesInS3(w).values()].flat().sort();
    expect({ code: second.code, lines }).toEqual({ code: 0, lines: ["a1", "a2", "b1"] });
  }, 60_000);

  it("daemon: copytruncate of the target while running: the lines not read yet arrive", async () => {
    const w = await scenario.startWorld();
    const pods = join(w.dir, "pods");
    mkdirSync(pods);
    writeFileSync(join(pods, "0.log"), "a1\n");
    symlinkSync(join(pods, "0.log"), join(w.logs, "app.log"));
    const daemon = scenario.startDaemon([...baseArgs(w), "--flush-interval", "2"]);
    await waitFor(() => [...linesInS3(w).values()].flat().includes("a1"), 20_000, "a1");
    appendFileSync(join(pods, "0.log"), "a2\n");
    copyFileSync(join(pods, "0.log"), join(pods, "0.log.1"));
    truncateSync(join(pods, "0.log"), 0);
    appendFileSync(join(pods, "0.log"), "b1 new content\n");
    await waitFor(() => [...linesInS3(w).values()].flat().length >= 3, 20_000, "the copy's unread line and the new one");
    const stopped = await daemon.stop();
    const lines = [...linesInS3(w).values()].flat().sort();
    expect({ code: stopped.code, lines }).toEqual({ code: 0, lines: ["a1", "a2", "b1 new content"] });
  }, 60_000);
});
