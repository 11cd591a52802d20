import { afterEach } from "vitest";
import { LineWriter } from "./LineWriter.js";
import { startDaemon, startWorld, type DaemonProcess, type World, type WorldOptions } from "./world.js";

/**
 * What an end-to-end test starts through this is ended after the test, pass or fail, so that no
 * test has to keep `let world/daemon/writer` variables for its own teardown.
 */
export interface Scenario {
  startWorld(options?: WorldOptions): Promise<World>;
  /** A world put together elsewhere (e.g. with another S3): closed after the test like one started here. */
  adopt(world: World): World;
  startDaemon(args: readonly string[], env?: NodeJS.ProcessEnv): DaemonProcess;
  /** A LineWriter (not started): stopped after the test. */
  lineWriter(path: string, tag?: string): LineWriter;
}

/**
 * Registers the teardown (an `afterEach`) in the calling `describe` and returns the scenario whose
 * worlds, daemons and writers it ends. The order matters: writers stop first (an append into a
 * deleted directory would throw from a timer), then daemons get SIGKILL (a test that failed
 * half-way must not wait for a graceful stop; one already stopped is left as it is), and worlds
 * close last, once nothing uses their servers or directories.
 */
export function useScenario(): Scenario {
  const worlds: World[] = [];
  const daemons: DaemonProcess[] = [];
  const writers: LineWriter[] = [];

  afterEach(async () => {
    for (const writer of writers.splice(0)) writer.stop();
    for (const daemon of daemons.splice(0)) await daemon.stop("SIGKILL");
    for (const world of worlds.splice(0).reverse()) await world.close();
  });

  return {
    async startWorld(options) {
      const world = await startWorld(options);
      worlds.push(world);
      return world;
    },
    adopt(world) {
      worlds.push(world);
      return world;
    },
    startDaemon(args, env) {
      const daemon = startDaemon(args, env);
      daemons.push(daemon);
      return daemon;
    },
    lineWriter(path, tag) {
      const writer = new LineWriter(path, tag);
      writers.push(writer);
      return writer;
    },
  };
}
