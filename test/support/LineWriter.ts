import { appendFileSync } from "node:fs";

/**
 * Appends numbered lines to a log file on a timer, like an application would, and remembers
 * every line it wrote so a test can compare them with what landed in S3.
 */
export class LineWriter {
  readonly lines: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly tag = "line",
  ) {}

  /** Writes one line now and then one every `everyMs`. */
  start(everyMs = 100): void {
    this.write();
    this.timer = setInterval(() => this.write(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  write(): void {
    const line = `${new Date().toISOString()} ${this.tag} ${String(this.lines.length).padStart(6, "0")} payload=${"x".repeat(40)}`;
    appendFileSync(this.path, `${line}\n`);
    this.lines.push(line);
  }
}
