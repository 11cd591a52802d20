import { watch, type ChokidarOptions, type FSWatcher } from "chokidar";
import { globBase, globMatcher, MAX_WALK_DEPTH } from "./expandGlobs.js";
import { watchIgnores } from "./watchIgnores.js";

export interface PathEvents {
  /** A matching file appeared (created, or renamed into a matching name). */
  added(path: string): void;
  /** A matching file was written to. */
  changed(path: string): void;
  error(error: Error): void;
}

/**
 * Watches the directories the globs are rooted at (chokidar ≥ 4 takes no
 * globs) and reports the files that match. Events are hints that make the
 * daemon react at once; its periodic scan stays the source of truth, so a
 * missed or coalesced event delays a line, never loses it.
 */
export class PathsProvider {
  private watcher: FSWatcher | undefined;
  private readonly isMatch: (path: string) => boolean;

  /** @param excludedDirs real paths of directories never watched, at any depth (the state dir; see watchIgnores) */
  constructor(
    private readonly patterns: readonly string[],
    private readonly events: PathEvents,
    private readonly excludedDirs: readonly string[] = [],
    /** chokidar's watch(); a test gives a fake watcher */
    private readonly watchPaths: (paths: string[], options: ChokidarOptions) => FSWatcher = watch,
  ) {
    this.isMatch = globMatcher(patterns);
  }

  start(): void {
    const bases = [...new Set(this.patterns.map(globBase))];
    this.watcher = this.watchPaths(bases, {
      ignoreInitial: true,
      persistent: true,
      // Renames must stay renames: rotation detection depends on them.
      atomic: false,
      followSymlinks: true,
      ignorePermissionErrors: true,
      // As deep as the scans walk (the same count of levels below the base): a file the scan finds is one the watcher sees.
      depth: MAX_WALK_DEPTH,
      ignored: watchIgnores(this.patterns, this.excludedDirs),
    });
    this.watcher.on("add", (path) => {
      if (this.isMatch(path)) this.events.added(path);
    });
    this.watcher.on("change", (path) => {
      if (this.isMatch(path)) this.events.changed(path);
    });
    this.watcher.on("error", (error) => this.events.error(error instanceof Error ? error : new Error(String(error))));
  }

  /**
   * chokidar's close() removes every listener at once, yet a stat it started
   * before may still fail afterwards (ELOOP on a looping link) and emit
   * 'error': with no listener, that throws out of the process. The listener
   * added after close() outlives it; errors of a watcher being closed say
   * nothing the stop needs.
   */
  async close(): Promise<void> {
    const watcher = this.watcher;
    if (watcher === undefined) return;
    this.watcher = undefined;
    const closing = watcher.close();
    watcher.on("error", () => undefined);
    await closing;
  }
}
