/** Ends the process with exit 1 and this one line on stderr (SPEC "Exit codes"). */
export class FatalError extends Error {
  override readonly name = "FatalError";
}
