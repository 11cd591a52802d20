/** A property of a thrown value, whatever was thrown: errors from the SDK and Node carry their facts in fields. */
export function errorField(error: unknown, name: string): unknown {
  return typeof error === "object" && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}
