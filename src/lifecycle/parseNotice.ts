/** A notice that the instance is going away or is advised to. */
export interface LifecycleNotice {
  kind: "spot-interruption" | "scale-in" | "rebalance";
  /** What IMDS said: the spot action, the target lifecycle state, or "recommendation". */
  detail: string;
  /** When the instance is expected to go, when IMDS says. */
  deadline: string | undefined;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `meta-data/spot/instance-action`: `{"action": "terminate"|"stop"|"hibernate", "time": "…Z"}`. */
export function parseSpotAction(body: string): LifecycleNotice | undefined {
  const doc = parseJson(body);
  if (!doc || typeof doc.action !== "string") return undefined;
  return { kind: "spot-interruption", detail: doc.action, deadline: typeof doc.time === "string" ? doc.time : undefined };
}

/**
 * `meta-data/autoscaling/target-lifecycle-state`: `Terminated` means the
 * instance goes, and so does `Warmed:Terminated` (an instance of a warm pool).
 */
export function parseTargetLifecycleState(body: string): LifecycleNotice | undefined {
  const state = body.trim();
  return state === "Terminated" || state === "Warmed:Terminated" ? { kind: "scale-in", detail: state, deadline: undefined } : undefined;
}

/**
 * `meta-data/events/recommendations/rebalance`: `{"noticeTime": "…Z"}`, when
 * the recommendation was made: no deadline.
 */
export function parseRebalance(body: string): LifecycleNotice | undefined {
  const doc = parseJson(body);
  if (!doc) return undefined;
  const made = typeof doc.noticeTime === "string" ? ` made ${doc.noticeTime}` : "";
  return { kind: "rebalance", detail: `recommendation${made}`, deadline: undefined };
}
