import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The CLI tests spawn the built CLI and build an index per data folder.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
