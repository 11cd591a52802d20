import type { Clock } from "./Clock.js";
import { truncateToSecond } from "./formatImdsTimestamp.js";

export type SpotInterruptionAction = "terminate" | "stop" | "hibernate";

export interface SpotInterruption {
  readonly action: SpotInterruptionAction;
  readonly time: Date;
}

/** EC2 gives a two-minute warning before it interrupts a spot instance. */
const SPOT_WARNING_MS = 120_000;

/** The instance-lifecycle signals EC2 publishes through IMDS, as a test sets them. */
export class LifecycleNotices {
  readonly #clock: Clock;
  #spot: SpotInterruption | undefined;
  #rebalanceNoticeTime: Date | undefined;
  #targetLifecycleState = "InService";

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get spot(): SpotInterruption | undefined {
    return this.#spot;
  }

  get rebalanceNoticeTime(): Date | undefined {
    return this.#rebalanceNoticeTime;
  }

  get targetLifecycleState(): string {
    return this.#targetLifecycleState;
  }

  raiseSpotInterruption(action: SpotInterruptionAction): void {
    this.#spot = { action, time: truncateToSecond(this.#clock() + SPOT_WARNING_MS) };
  }

  raiseRebalanceRecommendation(): void {
    this.#rebalanceNoticeTime = truncateToSecond(this.#clock());
  }

  setTargetLifecycleState(state: string): void {
    this.#targetLifecycleState = state;
  }

  clear(): void {
    this.#spot = undefined;
    this.#rebalanceNoticeTime = undefined;
    this.#targetLifecycleState = "InService";
  }
}
