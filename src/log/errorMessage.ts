/** The message of anything thrown, for a log field (a rejected promise may carry a non-Error). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
