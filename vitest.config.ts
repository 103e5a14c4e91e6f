/**
 * Vitest configuration for the whole workspace: every package's `test/` and the
 * cross-package suites under `test/`, with the packages resolved from source.
 */
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string, file = "index.ts") => fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url))

export default defineConfig({
  resolve: {
    // exact names: "@leadgraph/adapters" must not also catch "@leadgraph/adapters/testing"
    alias: [
      { find: /^@leadgraph\/core$/, replacement: src("core") },
      { find: /^@leadgraph\/adapters$/, replacement: src("adapters") },
      { find: /^@leadgraph\/adapters\/testing$/, replacement: src("adapters", "testing/index.ts") },
      { find: /^@leadgraph\/runner$/, replacement: src("runner") }
    ]
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // one migrated PGlite dumped per run, for TestDatabases' in-memory databases to start from
    globalSetup: ["test/setup/pgliteTemplate.ts"],
    pool: "forks",
    // two files at a time: the machines here have two cores, and vitest's
    // default (cores - 1) runs one; the suites are independent (own schemas,
    // own ports, own temporary directories)
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ["default"]
  }
})
