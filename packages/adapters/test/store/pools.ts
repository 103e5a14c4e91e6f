/**
 * Another connection pool on a test target's database, as a second process
 * would have: on Postgres a pool of its own to the same scratch schema (as
 * the runtime role), on PGlite a pool of its own to the same socket server
 * (PGlite runs one session, which every pool shares).
 */
import type { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Database } from "@leadgraph/adapters"
import { TestDatabases } from "@leadgraph/adapters/testing"
import { Context, Effect, Layer, Redacted } from "effect"
import type { Scope } from "effect"

export const anotherPool: Effect.Effect<
  Context.Context<PgClient.PgClient | SqlClient.SqlClient>,
  unknown,
  PgClient.PgClient | TestDatabases.Owner | Scope.Scope
> = Effect.gen(function*() {
  const owner = yield* TestDatabases.Owner
  const first = yield* PgClient.PgClient
  if (owner.schema === undefined) {
    const c = first.config
    return yield* Layer.build(PgClient.layer({
      host: c.host,
      port: c.port,
      username: c.username,
      database: c.database,
      maxConnections: 1
    }))
  }
  return yield* Layer.build(Database.layerUrl({
    url: Redacted.make(process.env.DATABASE_URL!),
    schema: owner.schema,
    maxConnections: 2
  }))
})
