import type { ObjectMethod, S3Fault } from "./S3Fault.js";

interface ScheduledFault {
  readonly fault: S3Fault;
  remaining: number | undefined;
  /** Monotonic ms after which the fault lapses. */
  readonly until: number | undefined;
}

/** The object request a fault is matched against. */
export interface FaultTarget {
  readonly method: string;
  readonly key: string;
}

/** The injected faults of one fake S3: validation, matching and use counting. */
export class FaultSchedule {
  readonly #faults: ScheduledFault[] = [];
  readonly #clock: () => number;

  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
  }

  add(fault: S3Fault): void {
    validate(fault);
    const times = "times" in fault ? fault.times : undefined;
    // A stall's forMs is how long it holds each request, not how long it stays armed.
    const windowMs = fault.kind === "error" || fault.kind === "reset" ? fault.forMs : undefined;
    this.#faults.push({
      fault,
      remaining: times,
      until: windowMs === undefined ? undefined : this.#clock() + windowMs,
    });
  }

  clear(): void {
    this.#faults.length = 0;
  }

  /**
   * The earliest-injected live fault of one of `kinds` that applies to `target`, with one use
   * consumed; `undefined` when none applies.
   */
  take<K extends S3Fault["kind"]>(kinds: readonly K[], target: FaultTarget): Extract<S3Fault, { kind: K }> | undefined {
    const now = this.#clock();
    for (let i = this.#faults.length - 1; i >= 0; i--) {
      const until = this.#faults[i]?.until;
      if (until !== undefined && now >= until) this.#faults.splice(i, 1);
    }
    const index = this.#faults.findIndex(
      (s) => (kinds as readonly string[]).includes(s.fault.kind) && applies(s.fault, target),
    );
    const scheduled = this.#faults[index];
    if (scheduled === undefined) return undefined;
    if (scheduled.remaining !== undefined) {
      scheduled.remaining -= 1;
      if (scheduled.remaining <= 0) this.#faults.splice(index, 1);
    }
    return scheduled.fault as Extract<S3Fault, { kind: K }>;
  }
}

function applies(fault: S3Fault, target: FaultTarget): boolean {
  // s3:PutObject also authorises CreateMultipartUpload, UploadPart and CompleteMultipartUpload.
  if (fault.kind === "deny") return (target.method === "PUT" || target.method === "POST") && target.key.startsWith(fault.keyPrefix ?? "");
  const methods: readonly ObjectMethod[] = fault.methods ?? ["PUT"];
  return (methods as readonly string[]).includes(target.method);
}

function validate(fault: S3Fault): void {
  const positiveInteger = (value: number | undefined) => value === undefined || (Number.isInteger(value) && value > 0);
  const duration = (value: number | undefined) => value === undefined || (Number.isFinite(value) && value >= 0);
  if ("times" in fault && !positiveInteger(fault.times)) throw new RangeError("S3Fault.times must be a positive integer");
  if ("forMs" in fault && !duration(fault.forMs)) throw new RangeError("S3Fault.forMs must be a non-negative number");
  if (fault.kind === "error") {
    if (!Number.isInteger(fault.status) || fault.status < 300 || fault.status > 599) {
      throw new RangeError("S3Fault.status must be an HTTP status from 300 to 599");
    }
    if (fault.code === "") throw new RangeError("S3Fault.code must not be empty");
  }
}
