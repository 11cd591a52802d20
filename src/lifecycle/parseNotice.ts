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

/** `meta-data/autoscaling/target-lifecycle-state`: only `Terminated` means the instance goes. */
export function parseTargetLifecycleState(body: string): LifecycleNotice | undefined {
  return body.trim() === "Terminated" ? { kind: "scale-in", detail: "Terminated", deadline: undefined } : undefined;
}

/** `meta-data/events/recommendations/rebalance`: `{"noticeTime": "…Z"}`. */
export function parseRebalance(body: string): LifecycleNotice | undefined {
  const doc = parseJson(body);
  if (!doc) return undefined;
  return { kind: "rebalance", detail: "recommendation", deadline: typeof doc.noticeTime === "string" ? doc.noticeTime : undefined };
}
