import { createRequire } from "node:module";

/**
 * `require` for the CommonJS packages on the start-up path (the AWS SDK,
 * pino, picomatch). An ESM `import` of a CommonJS package makes Node lex the
 * package's whole source, and every module it re-exports, to find its named
 * exports before running it: for the SDK that was 50 of its 115 ms of
 * loading, time in which `--once` compresses nothing (bench/RESULTS.md).
 * `require` runs the same files without the lexing. Callers type the result
 * with `typeof import(...)`, so the types still come from the package.
 */
export const requirePackage = createRequire(import.meta.url);
