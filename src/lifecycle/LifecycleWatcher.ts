import type { Logger } from "pino";
import type { InstanceMetadata } from "../credentials/instanceMetadata.js";
import { parseRebalance, parseSpotAction, parseTargetLifecycleState, type LifecycleNotice } from "./parseNotice.js";

export interface LifecycleWatcherOptions {
  metadata: InstanceMetadata;
  logger: Logger;
  /** Called once, on the first notice that means "upload everything now". */
  onTerminating: (notice: LifecycleNotice) => void;
  /**
   * Called when every notice that acted is gone again: a hibernated spot
   * instance resumes with this process still running, and must not stay in
   * urgent mode (one PUT per second per busy file) until a restart.
   */
  onResumed: () => void;
  /** A rebalance recommendation counts as a termination notice. */
  flushOnRebalance: boolean;
  intervalMs?: number;
}

interface Probe {
  path: string;
  parse: (body: string) => LifecycleNotice | undefined;
}

const PROBES: readonly Probe[] = [
  { path: "meta-data/spot/instance-action", parse: parseSpotAction },
  { path: "meta-data/autoscaling/target-lifecycle-state", parse: parseTargetLifecycleState },
  { path: "meta-data/events/recommendations/rebalance", parse: parseRebalance },
];

/** Which notice status and metrics name when several are up: the one that says most about the end. */
const WEIGHT: Readonly<Record<LifecycleNotice["kind"], number>> = { rebalance: 0, "scale-in": 1, "spot-interruption": 2 };

function statusOf(error: unknown): number | undefined {
  const metadata = typeof error === "object" && error !== null ? (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata : undefined;
  return typeof metadata?.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
}

/**
 * Polls the IMDS paths that announce a spot interruption, an Auto Scaling
 * scale-in or a rebalance recommendation (a 404 means "no notice"). It only
 * ever reads: an error on these paths is logged once per streak and never
 * touches shipping.
 */
export class LifecycleWatcher {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private failing = false;
  private readonly seen = new Set<LifecycleNotice["kind"]>();
  private terminating = false;
  private stopped = false;
  private latest: LifecycleNotice | undefined;

  constructor(private readonly options: LifecycleWatcherOptions) {}

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** The last notice seen, for status and metrics. */
  get notice(): LifecycleNotice | undefined {
    return this.latest;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      let failed = false;
      let acting = false;
      for (const probe of PROBES) {
        // A stalled IMDS holds each probe for its timeouts and retries, and
        // their sockets hold the process: a stopped watcher asks no more.
        if (this.stopped) return;
        try {
          const notice = probe.parse(await this.options.metadata.get(probe.path));
          if (notice) acting = this.observe(notice) || acting;
        } catch (error) {
          if (statusOf(error) !== 404) failed = true;
        }
      }
      // Only a round in which every path answered can say the notices are gone.
      if (!failed && !acting && this.terminating) this.resume();
      if (failed && !this.failing) this.options.logger.warn("cannot read instance lifecycle notices from IMDS; shipping goes on");
      if (!failed && this.failing) this.options.logger.info("instance lifecycle notices readable again");
      this.failing = failed;
    } finally {
      this.polling = false;
    }
  }

  /** Records a notice; true when it is one that makes the shipper act. */
  private observe(notice: LifecycleNotice): boolean {
    const acts = notice.kind !== "rebalance" || this.options.flushOnRebalance;
    if (this.seen.has(notice.kind)) return acts;
    this.seen.add(notice.kind);
    // Status and metrics show the weightiest notice: a rebalance recommendation
    // often comes with or after a spot interruption, and must not hide it.
    if (this.latest === undefined || WEIGHT[notice.kind] > WEIGHT[this.latest.kind]) this.latest = notice;
    this.options.logger.warn({ notice: notice.kind, detail: notice.detail, deadline: notice.deadline }, acts ? "instance is going away" : "rebalance recommended");
    if (acts && !this.terminating) {
      this.terminating = true;
      this.options.onTerminating(notice);
    }
    return acts;
  }

  private resume(): void {
    this.terminating = false;
    this.seen.clear();
    this.latest = undefined;
    this.options.logger.info("lifecycle notices withdrawn (instance resumed); back to the flush interval");
    this.options.onResumed();
  }
}
