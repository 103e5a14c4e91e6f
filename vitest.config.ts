/**
 * Vitest configuration for the whole workspace: every package's `test/` and the
 * cross-package suites under `test/`, with the packages resolved from source.
 */
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: {
      "@leadgraph/core": src("core"),
      "@leadgraph/adapters": src("adapters"),
      "@leadgraph/runner": src("runner")
    }
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"]
  }
})
