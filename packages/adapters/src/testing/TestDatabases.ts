/**
 * Databases for tests of code that uses the store: an in-memory PGlite
 * always, and a scratch schema on a real Postgres when a URL is given (CI
 * sets `DATABASE_URL`), dropped when the layer closes, so suites are
 * independent and can run twice in a row.
 *
 * On Postgres two roles take part, as in production: the schema is
 * created, migrated and dropped by the owner (`migrationUrl`, else
 * `MIGRATION_DATABASE_URL`, else the runtime URL itself, which then has to
 * own things and makes the store refuse to start), and the pool the layer
 * provides connects as the runtime role (`url`, what `DATABASE_URL` holds).
 * Each target also provides {@link Owner}, for the few test steps that must
 * act as the owner (statistics, lifting row-level security to look at every
 * row).
 *
 * Each in-memory PGlite is a new database. Creating and migrating one takes
 * 4 to 7 s here; with `LEADGRAPH_TEST_PGLITE_TEMPLATE` set to a file that
 * {@link writeTemplate} wrote (a dump of a migrated one), each starts from
 * that dump instead, in about 1 s. The workspace's vitest global setup
 * writes one and keeps it until a migration or PGlite changes.
 *
 * ```ts
 * for (const target of TestDatabases.targets("my_suite", process.env.DATABASE_URL)) {
 *   layer(StoreLive.layer().pipe(Layer.provideMerge(target.database())))(target.label, (it) => { ... })
 * }
 * ```
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { PgClient } from "@effect/sql-pg"
import { Store } from "@leadgraph/core"
import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import { randomUUID } from "node:crypto"
import { readFile, rename, writeFile } from "node:fs/promises"
import * as Database from "../store/Database.js"
import * as Migrations from "../store/Migrations.js"

/**
 * The owner of a test database's tables.
 *
 * @since 0.1.0
 * @category models
 */
export interface OwnerService {
  /** The owner's role name (on PGlite, its bootstrap superuser). */
  readonly role: string
  /** The scratch schema on Postgres; `undefined` on PGlite. */
  readonly schema: string | undefined
  /**
   * Runs `f` in one transaction as the owner: on Postgres over a connection
   * of the owner's, on PGlite in the shared session with `SET LOCAL SESSION
   * AUTHORIZATION` to its superuser (which ends with the transaction).
   */
  readonly transaction: <A, E>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) => Effect.Effect<A, E | SqlError>
}

/**
 * The owner of the test database in context.
 *
 * @since 0.1.0
 * @category tags
 */
export class Owner extends Context.Tag("@leadgraph/adapters/TestDatabases/Owner")<Owner, OwnerService>() {}

/**
 * What a target's database provides: the runtime pool and its {@link Owner}.
 *
 * @since 0.1.0
 * @category models
 */
export type Provides = PgClient.PgClient | SqlClient.SqlClient | Owner

/**
 * A database to run a suite against: its label and a fresh database each
 * time the function is called.
 *
 * @since 0.1.0
 * @category models
 */
export interface Target {
  readonly label: "pglite" | "postgres"
  readonly database: () => Layer.Layer<Provides, Store.StoreError>
}

const ownerUrlOf = (url: string, migrationUrl: string | undefined) =>
  migrationUrl !== undefined && migrationUrl !== ""
    ? Effect.succeed(migrationUrl)
    : Config.option(Config.string("MIGRATION_DATABASE_URL")).pipe(
      Effect.map((o) => Option.getOrElse(Option.filter(o, (s) => s !== ""), () => url)),
      Effect.mapError((cause) =>
        new Store.StoreError({ reason: "Invalid", operation: "connect", detail: "bad MIGRATION_DATABASE_URL", cause })
      )
    )

/**
 * A fresh schema (`lg_<suite>_<random>`) on the Postgres at `url`, created
 * and migrated as the owner (`migrationUrl`, else `MIGRATION_DATABASE_URL`,
 * else `url`), reached as the runtime role at `url`, dropped when the layer
 * closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const scratchSchema = (
  suite: string,
  url: string,
  migrationUrl?: string | undefined
): Layer.Layer<Provides, Store.StoreError> => {
  const schema = `lg_${suite.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 40)}_${randomUUID().slice(0, 8)}`
  return Layer.unwrapScoped(Effect.gen(function*() {
    const ownerUrl = yield* ownerUrlOf(url, migrationUrl)
    const owner = yield* Layer.build(Database.layerUrl({ url: Redacted.make(ownerUrl), schema, maxConnections: 2 }))
    const sql = Context.get(owner, SqlClient.SqlClient)
    yield* Effect.addFinalizer(() =>
      sql.unsafe(`DROP SCHEMA IF EXISTS ${schema}, ${schema}_cluster CASCADE`).pipe(Effect.orDie)
    )
    yield* Effect.provide(Migrations.run(), owner)
    const [me] = yield* sql<{ role: string }>`SELECT current_user AS role`.pipe(
      Effect.mapError((cause) => new Store.StoreError({ reason: "Unavailable", operation: "connect", cause }))
    )
    const service: OwnerService = {
      role: me!.role,
      schema,
      transaction: (f) => sql.withTransaction(f(sql))
    }
    return Layer.merge(
      Layer.succeed(Owner, service),
      Database.layerUrl({ url: Redacted.make(url), schema, maxConnections: 8 })
    )
  }))
}

/**
 * An in-memory PGlite (migrated, its session the application role) with
 * its {@link Owner}; started from the dump at
 * `LEADGRAPH_TEST_PGLITE_TEMPLATE` when that is set (see {@link writeTemplate}).
 *
 * @since 0.1.0
 * @category layers
 */
export const pglite = (): Layer.Layer<Provides, Store.StoreError> =>
  Layer.unwrapEffect(Effect.map(template, (loadDataDir) => pgliteFrom(loadDataDir)))

/**
 * The path of a migrated PGlite's dump to start in-memory databases from
 * (`LEADGRAPH_TEST_PGLITE_TEMPLATE`), read into memory; `undefined` when
 * the variable is unset or empty.
 */
const template: Effect.Effect<Blob | undefined, Store.StoreError> = Config.option(
  Config.string("LEADGRAPH_TEST_PGLITE_TEMPLATE")
).pipe(
  Effect.mapError((cause) =>
    new Store.StoreError({ reason: "Invalid", operation: "connect", detail: "bad LEADGRAPH_TEST_PGLITE_TEMPLATE", cause })
  ),
  Effect.flatMap((path) =>
    Option.isNone(path) || path.value === "" ? Effect.succeed(undefined) : Effect.tryPromise({
      try: async () => new Blob([await readFile(path.value)]),
      catch: (cause) =>
        new Store.StoreError({
          reason: "Unavailable",
          operation: "connect",
          detail: `cannot read the PGlite template ${path.value} (LEADGRAPH_TEST_PGLITE_TEMPLATE)`,
          cause
        })
    })
  )
)

/**
 * Writes a dump of a new, migrated PGlite (`Database.dumpMigrated`) to
 * `path` (through a temporary file and a rename, so a reader never sees
 * half of it), for `LEADGRAPH_TEST_PGLITE_TEMPLATE`.
 *
 * @since 0.1.0
 * @category templates
 */
export const writeTemplate = (path: string): Effect.Effect<void, Store.StoreError> =>
  Effect.flatMap(Database.dumpMigrated(), (dump) =>
    Effect.tryPromise({
      try: async () => {
        const partial = `${path}.${process.pid}.partial`
        await writeFile(partial, new Uint8Array(await dump.arrayBuffer()))
        await rename(partial, path)
      },
      catch: (cause) =>
        new Store.StoreError({ reason: "Unavailable", operation: "connect", detail: `cannot write ${path}`, cause })
    }))

const pgliteFrom = (loadDataDir: Blob | undefined): Layer.Layer<Provides, Store.StoreError> =>
  Layer.effect(
    Owner,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      // the bootstrap superuser, which initialised the database
      const [me] = yield* sql<{ role: string }>`SELECT rolname AS role FROM pg_roles WHERE oid = 10`.pipe(
        Effect.mapError((cause) => new Store.StoreError({ reason: "Unavailable", operation: "connect", cause }))
      )
      const role = me!.role
      return {
        role,
        schema: undefined,
        // `f` runs in a savepoint, so the session can be handed back to the
        // runtime role explicitly even when `f` fails: after a RESET SESSION
        // AUTHORIZATION (a no-op on PGlite, but it clears the setting's
        // prior value) the end of the transaction would not restore it
        transaction: (f) =>
          // @effect-diagnostics-next-line missingEffectError:off -- a false positive: the generic E of `f` is in the result type
          sql.withTransaction(
            Effect.flatMap(sql<{ runtime: string }>`SELECT session_user AS runtime`, ([me]) =>
              sql.unsafe(`SET LOCAL SESSION AUTHORIZATION ${role}`).pipe(
                Effect.zipRight(Effect.exit(sql.withTransaction(f(sql)))),
                Effect.tap(() => sql.unsafe(`SET LOCAL SESSION AUTHORIZATION ${me!.runtime}`)),
                Effect.flatten
              ))
          )
      } satisfies OwnerService
    })
  ).pipe(Layer.provideMerge(Database.layerEmbedded({ dataDir: "memory://", maxConnections: 8, loadDataDir })))

/**
 * PGlite in memory always; a scratch schema on Postgres too when `url` is
 * set (the owner's URL from `migrationUrl`, else `MIGRATION_DATABASE_URL`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const targets = (
  suite: string,
  url?: string | undefined,
  migrationUrl?: string | undefined
): ReadonlyArray<Target> => [
  { label: "pglite", database: pglite },
  ...(url === undefined || url === ""
    ? []
    : [{ label: "postgres" as const, database: () => scratchSchema(suite, url, migrationUrl) }])
]
