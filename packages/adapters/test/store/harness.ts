/**
 * Databases for the store tests: an in-memory PGlite always, and a fresh
 * schema on the Postgres at `DATABASE_URL` when it is set (created and
 * migrated as the owner at `MIGRATION_DATABASE_URL`, reached as the runtime
 * role, dropped when the suite ends, so suites are independent and can run
 * twice in a row).
 */
import { TestDatabases } from "@leadgraph/adapters/testing"
import type { Store } from "@leadgraph/core"
import type { Layer } from "effect"

export interface Target {
  readonly label: "pglite" | "postgres"
  readonly database: Layer.Layer<TestDatabases.Provides, Store.StoreError>
}

/** PGlite always; Postgres too when `DATABASE_URL` is set. */
export const targets = (suite: string): ReadonlyArray<Target> =>
  TestDatabases.targets(suite, process.env.DATABASE_URL, process.env.MIGRATION_DATABASE_URL).map((t) => ({
    label: t.label,
    database: t.database()
  }))
