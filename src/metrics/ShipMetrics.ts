import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { LifecycleNotice } from "../lifecycle/parseNotice.js";
import type { FileLag, UnreadableFile } from "../ship/Daemon.js";
import type { ShipStats } from "../ship/ShipContext.js";
import type { UploadObserver } from "../sink/S3Sink.js";

/** What the metrics read at scrape time; everything else arrives through UploadObserver. */
export interface MetricsSources {
  stats(): ShipStats;
  files(): FileLag[];
  /** Brings files() up to date (their sizes): awaited before the file series are read. */
  measureFiles?(): Promise<void>;
  /** Watched files that cannot be opened: nothing of them ships. */
  unreadable?(): UnreadableFile[];
  /** Seconds until the cached credentials expire (undefined: none yet). Never the keys themselves. */
  credentialSecondsToExpiry(): number | undefined;
  imdsFailures(): number;
  urgent(): boolean;
  notice(): LifecycleNotice | undefined;
  /** The wall clock that files()' pendingSince is on (default Date.now). */
  now?: () => number;
}

/**
 * The Prometheus series of issue 5. Totals are read from the running stats at
 * scrape time, so the hot path pays nothing for them. No label or value can
 * carry a credential: labels are file paths, S3 error codes and notice kinds.
 */
export class ShipMetrics implements UploadObserver {
  readonly registry = new Registry();
  private readonly uploadSeconds: Histogram;
  private readonly uploadErrors: Counter<"code">;
  private readonly retries: Counter;

  constructor(sources: MetricsSources) {
    const now = sources.now ?? Date.now;
    const registers = [this.registry];
    const total = (name: string, help: string, read: () => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };
    total("ship_logs_lines_shipped_total", "Lines stored in S3.", () => sources.stats().lines);
    total("ship_logs_bytes_read_total", "Bytes of log lines read and stored (before compression).", () => sources.stats().bytesIn);
    total("ship_logs_bytes_uploaded_total", "Bytes of objects stored (after compression).", () => sources.stats().bytesOut);
    total("ship_logs_objects_uploaded_total", "Objects stored (PutObject requests that succeeded).", () => sources.stats().objects);
    total("ship_logs_imds_errors_total", "Failed credential fetches from the provider (IMDS).", () => sources.imdsFailures());
    this.uploadSeconds = new Histogram({
      name: "ship_logs_upload_duration_seconds",
      help: "Time of one PutObject attempt that succeeded.",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.uploadErrors = new Counter({
      name: "ship_logs_upload_errors_total",
      help: "Failed PutObject attempts, by S3 error code (or network error). Uploads waiting for credentials send nothing and are not counted.",
      labelNames: ["code"],
      registers,
    });
    this.retries = new Counter({ name: "ship_logs_upload_retries_total", help: "PutObject attempts that were retried after a failure.", registers });
    new Gauge({
      name: "ship_logs_file_bytes_behind",
      help: "Bytes of the file at a watched path not yet acknowledged by S3 (its size less the acknowledged offset), followed or closed at the descriptor cap, a rotated one still being read included.",
      labelNames: ["path"],
      registers,
      async collect() {
        await sources.measureFiles?.();
        this.reset();
        // Summed: a file rotated away and still being read shares its path
        // with the new file there, and its backlog must not be hidden by it.
        for (const file of sources.files()) this.inc({ path: file.path }, file.bytesBehind);
        // A file that cannot be opened is behind by all it holds (when a stat can tell).
        for (const file of sources.unreadable?.() ?? []) if (file.size !== undefined) this.inc({ path: file.path }, file.size);
      },
    });
    new Gauge({
      name: "ship_logs_unreadable_files",
      help: "Watched files the daemon cannot open (EACCES: the service user may not read them): nothing of them ships.",
      registers,
      collect() {
        this.set(sources.unreadable?.().length ?? 0);
      },
    });
    new Gauge({
      name: "ship_logs_oldest_pending_seconds",
      help: "Age of the oldest bytes not yet handed to an upload, over all files.",
      registers,
      async collect() {
        await sources.measureFiles?.();
        // files() gives pendingSince as the wall clock of this read less their
        // measured age (FileLag): a step of the wall clock while they wait
        // does not change the difference.
        const oldest = Math.min(...sources.files().map((file) => file.pendingSince ?? Number.POSITIVE_INFINITY));
        this.set(Number.isFinite(oldest) ? Math.max(0, (now() - oldest) / 1000) : 0);
      },
    });
    new Gauge({
      name: "ship_logs_credentials_expiry_seconds",
      help: "Seconds until the cached credentials expire (negative: expired, uploads wait for new ones).",
      registers,
      collect() {
        const seconds = sources.credentialSecondsToExpiry();
        if (seconds !== undefined) this.set(seconds);
      },
    });
    new Gauge({
      name: "ship_logs_urgent_mode",
      help: "1 while the instance is going away and everything is uploaded at once.",
      registers,
      collect() {
        this.set(sources.urgent() ? 1 : 0);
      },
    });
    new Gauge({
      name: "ship_logs_lifecycle_notice",
      help: "1 for the lifecycle notice IMDS announced (spot-interruption, scale-in, rebalance).",
      labelNames: ["kind"],
      registers,
      collect() {
        this.reset();
        const notice = sources.notice();
        if (notice) this.set({ kind: notice.kind }, 1);
      },
    });
  }

  uploaded(_bytes: number, seconds: number): void {
    this.uploadSeconds.observe(seconds);
  }

  failed(code: string): void {
    this.uploadErrors.inc({ code });
  }

  retried(): void {
    this.retries.inc();
  }
}
