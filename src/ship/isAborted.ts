/**
 * Whether `signal` was given and has been aborted. A function, not an inline
 * test: TypeScript keeps `signal.aborted` narrowed to false across the awaits
 * between two inline tests of it.
 */
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
