import { EventEmitter } from "node:events";
import type { FSWatcher } from "chokidar";
import { describe, expect, it } from "vitest";
import { PathsProvider } from "../../src/source/PathsProvider.js";

/** What chokidar's close() does to listeners: removes them all at once, then waits for its closers. */
class FakeWatcher extends EventEmitter {
  close(): Promise<void> {
    this.removeAllListeners();
    return new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("PathsProvider.close", () => {
  it("an error a stat in flight reports after close() is not thrown (no uncaught 'error' event at SIGTERM)", async () => {
    const fake = new FakeWatcher();
    const errors: Error[] = [];
    const provider = new PathsProvider(["/nowhere/**/*.log"], { added: () => undefined, changed: () => undefined, error: (e) => errors.push(e) }, [], () => fake as unknown as FSWatcher);
    provider.start();
    const loop = Object.assign(new Error("ELOOP: too many symbolic links encountered, stat '/nowhere/d1/loop.log'"), { code: "ELOOP" });
    fake.emit("error", loop);
    expect(errors).toHaveLength(1);
    const closing = provider.close();
    expect(() => fake.emit("error", loop)).not.toThrow();
    await closing;
    expect(() => fake.emit("error", loop)).not.toThrow();
    expect(errors).toHaveLength(1);
  });
});
