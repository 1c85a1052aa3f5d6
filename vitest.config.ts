import { defineConfig } from "vitest/config"

// One runner for the whole workspace: tests import sibling packages from source
// (the "@am/source" export condition), so no build is needed before testing.
export default defineConfig({
  resolve: { conditions: ["@am/source"] },
  ssr: { resolve: { conditions: ["@am/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default"]
  }
})
