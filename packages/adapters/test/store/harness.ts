/**
 * Databases for the store tests: an in-memory PGlite always, and a fresh
 * schema on the Postgres at `DATABASE_URL` when it is set (dropped when the
 * suite ends, so suites are independent and can run twice in a row).
 */
import { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { Database } from "@leadgraph/adapters"
import type { Store } from "@leadgraph/core"
import { Effect, Layer, Redacted } from "effect"
import { randomUUID } from "node:crypto"

export interface Target {
  readonly label: string
  readonly database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError>
}

const postgres = (suite: string, url: string): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError> => {
  const schema = `lg_${suite}_${randomUUID().slice(0, 8)}`
  const dropOnClose = Layer.scopedDiscard(
    Effect.addFinalizer(() =>
      SqlClient.SqlClient.pipe(Effect.flatMap((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)), Effect.orDie)
    )
  )
  return dropOnClose.pipe(Layer.provideMerge(Database.layerUrl({ url: Redacted.make(url), schema, maxConnections: 8 })))
}

/** PGlite always; Postgres too when `DATABASE_URL` is set. */
export const targets = (suite: string): ReadonlyArray<Target> => {
  const url = process.env.DATABASE_URL
  return [
    { label: "pglite", database: Database.layerEmbedded({ dataDir: "memory://", maxConnections: 8 }) },
    ...(url ? [{ label: "postgres", database: postgres(suite, url) }] : [])
  ]
}
