// Module hooks for a test: the CLI's configuration modules load 4 s late, as
// on a host so loaded that module loading takes seconds. Registered with
// `--import` (see test/e2e/outputAndSignals.test.ts).
export async function load(url, context, nextLoad) {
  if (url.endsWith("/dist/config/index.js")) await new Promise((resolve) => setTimeout(resolve, 4_000));
  return nextLoad(url, context);
}
