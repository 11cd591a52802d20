import { join } from "node:path";
import type { LineWriter } from "./LineWriter.js";
import type { Scenario } from "./scenario.js";
import { baseArgs, type DaemonProcess, type World } from "./world.js";

/** A daemon shipping app.log while an application appends to it. */
export interface Shipping {
  /** The path of app.log. */
  log: string;
  writer: LineWriter;
  daemon: DaemonProcess;
}

/**
 * The opening the daemon tests share: a writer appending a line to app.log every 100 ms, and a
 * daemon started with `baseArgs` plus `args` that has logged "watching". Both are ended by the
 * scenario's teardown.
 */
export async function startShipping(scenario: Scenario, world: World, args: readonly string[]): Promise<Shipping> {
  const log = join(world.logs, "app.log");
  const writer = scenario.lineWriter(log);
  writer.start(100);
  const daemon = scenario.startDaemon([...baseArgs(world), ...args]);
  await daemon.waitForLog(/"msg":"watching"/);
  return { log, writer, daemon };
}
