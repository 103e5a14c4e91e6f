/**
 * Migration 17: the cluster's tables (`leadgraph worker`, see `Cluster`),
 * in a schema of their own beside the store's: `<schema>_cluster`
 * (`public_cluster` for a store in `public`), so stores in different
 * schemas of one database have clusters of their own. The message and reply
 * tables are made by `@effect/cluster`'s own migrations (run here, as the
 * owner, with the schema first on the search path), the runners table as
 * its `SqlRunnerStorage` makes it. Both storages run `CREATE TABLE IF NOT
 * EXISTS` again at every start-up, which Postgres refuses to a role
 * without `CREATE` on the schema even when the table exists; so the
 * application role gets `CREATE` on this schema (and only this one: it
 * holds no tenant data) besides reading and writing its tables.
 *
 * @since 0.1.0
 * @internal
 */
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as Snowflake from "@effect/cluster/Snowflake"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"

const ident = (name: string): string => `"${name.replace(/"/g, "\"\"")}"`

/** The cluster's schema beside a store in schema `store`. @internal */
export const clusterSchema = (store: string): string => `${store}_cluster`

/** @internal */
export const make = (appRole: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [here] = yield* sql<{ path: string; schema: string }>`SELECT current_setting('search_path') AS path,
      current_schema() AS schema`
    const schema = clusterSchema(here!.schema)
    yield* sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`)
    yield* sql`SELECT set_config('search_path', ${`${ident(schema)}, ${here!.path}`}, true)`
    // the library's migrator probes its table with a query that fails when
    // it is missing, which would abort this transaction: make it first
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS cluster_migrations (
      migration_id integer primary key,
      created_at timestamp with time zone not null default now(),
      name text not null
    )`)
    yield* Effect.scoped(SqlMessageStorage.make({ prefix: "cluster" })).pipe(
      Effect.provide(Layer.merge(Snowflake.layerGenerator, ShardingConfig.layerDefaults))
    )
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS cluster_runners (
      machine_id SERIAL PRIMARY KEY,
      address VARCHAR(255) NOT NULL,
      runner TEXT NOT NULL,
      healthy BOOLEAN NOT NULL DEFAULT TRUE,
      last_heartbeat TIMESTAMP NOT NULL DEFAULT NOW(),
      UNIQUE(address)
    )`)
    yield* sql`SELECT set_config('search_path', ${here!.path}, true)`
    const app = ident(appRole)
    yield* sql.unsafe(`GRANT USAGE, CREATE ON SCHEMA ${ident(schema)} TO ${app}`)
    yield* sql.unsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${ident(schema)} TO ${app}`)
    yield* sql.unsafe(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${ident(schema)} TO ${app}`)
  })
