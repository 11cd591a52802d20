import { defineConfig } from "vitest/config";

// End-to-end tests spawn the built CLI and local servers; two cores means more
// parallel workers only add timing noise.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    root: new URL("..", import.meta.url).pathname,
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
