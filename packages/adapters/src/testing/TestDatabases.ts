/**
 * Databases for tests of code that uses the store: an in-memory PGlite
 * always, and a scratch schema on a real Postgres when a URL is given (CI
 * sets `DATABASE_URL`), dropped when the layer closes, so suites are
 * independent and can run twice in a row.
 *
 * ```ts
 * for (const target of TestDatabases.targets("my_suite", process.env.DATABASE_URL)) {
 *   layer(PgStore.layer().pipe(Layer.provideMerge(target.database())))(target.label, (it) => { ... })
 * }
 * ```
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import type { Store } from "@leadgraph/core"
import { Effect, Layer, Redacted } from "effect"
import { randomUUID } from "node:crypto"
import * as Database from "../store/Database.js"

/**
 * A database to run a suite against: its label and a fresh database each
 * time the function is called.
 *
 * @since 0.1.0
 * @category models
 */
export interface Target {
  readonly label: "pglite" | "postgres"
  readonly database: () => Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError>
}

/**
 * A fresh schema (`lg_<suite>_<random>`) on the Postgres at `url`, dropped
 * when the layer closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const scratchSchema = (
  suite: string,
  url: string
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError> => {
  const schema = `lg_${suite.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 40)}_${randomUUID().slice(0, 8)}`
  const dropOnClose = Layer.scopedDiscard(
    Effect.addFinalizer(() =>
      SqlClient.SqlClient.pipe(Effect.flatMap((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)), Effect.orDie)
    )
  )
  return dropOnClose.pipe(Layer.provideMerge(Database.layerUrl({ url: Redacted.make(url), schema, maxConnections: 8 })))
}

/**
 * PGlite in memory always; a scratch schema on Postgres too when `url` is
 * set.
 *
 * @since 0.1.0
 * @category constructors
 */
export const targets = (suite: string, url?: string | undefined): ReadonlyArray<Target> => [
  { label: "pglite", database: () => Database.layerEmbedded({ dataDir: "memory://", maxConnections: 8 }) },
  ...(url === undefined || url === "" ? [] : [{ label: "postgres" as const, database: () => scratchSchema(suite, url) }])
]
