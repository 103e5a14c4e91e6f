/**
 * Where the store's Postgres comes from: a server given by URL, or an
 * embedded PGlite served on 127.0.0.1 through `@electric-sql/pglite-socket`,
 * both to the same `@effect/sql-pg` client, so one code path (migrations,
 * row-level security, repositories) serves both.
 *
 * @since 0.1.0
 */
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Store } from "@leadgraph/core"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { mkdir } from "node:fs/promises"
import { mapErrors } from "./internal/errors.js"

/**
 * The default data directory of the embedded database.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultDataDir = ".leadgraph/pgdata"

/**
 * Options of {@link layerEmbedded}.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmbeddedOptions {
  /** Data directory; `"memory://"` keeps the database in memory. Default `.leadgraph/pgdata`. */
  readonly dataDir?: string | undefined
  /**
   * The pool size (default 4). The socket server accepts two connections
   * more, because connections beyond its limit are dropped, not queued, and
   * the server notices a closed connection a moment after the pool does.
   * PGlite runs one statement at a time anyway.
   */
  readonly maxConnections?: number | undefined
}

const unavailable = (detail: string) => (cause: unknown) =>
  new Store.StoreError({ reason: "Unavailable", operation: "connect", detail, cause })

/**
 * An embedded PGlite database, served on 127.0.0.1 at a random port and
 * reached through the `@effect/sql-pg` client. Closed with the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerEmbedded = (
  options?: EmbeddedOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const dataDir = options?.dataDir ?? defaultDataDir
    const maxConnections = Math.max(2, options?.maxConnections ?? 4)
    if (!dataDir.includes("://")) {
      yield* Effect.tryPromise({
        try: () => mkdir(dataDir, { recursive: true }),
        catch: unavailable(`cannot create ${dataDir}`)
      })
    }
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => PGlite.create(dataDir), catch: unavailable("PGlite did not start") }),
      (db) => Effect.promise(() => db.close()).pipe(Effect.ignore)
    )
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: maxConnections + 2 })
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => server.start(), catch: unavailable("PGlite socket server did not start") }),
      () => Effect.promise(() => server.stop())
    )
    const port = Number(server.getServerConn().split(":").pop())
    return PgClient.layer({
      host: "127.0.0.1",
      port,
      username: "postgres",
      database: "postgres",
      maxConnections,
      applicationName: "leadgraph"
    }).pipe(Layer.mapError((e) => new Store.StoreError({ reason: "Unavailable", operation: "connect", cause: e })))
  }))

/**
 * Options of {@link layerUrl}.
 *
 * @since 0.1.0
 * @category models
 */
export interface UrlOptions {
  readonly url: Redacted.Redacted<string>
  /** Pool size (default 10). */
  readonly maxConnections?: number | undefined
  /**
   * A schema to work in (created when missing, and put first on every
   * connection's `search_path`), for example one per test suite.
   */
  readonly schema?: string | undefined
}

/**
 * A Postgres server by URL.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUrl = (options: UrlOptions): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError> => {
  const schema = options.schema
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    return Layer.fail(new Store.StoreError({ reason: "Invalid", operation: "connect", detail: "bad schema name" }))
  }
  const url = schema === undefined ? Redacted.value(options.url) : withSearchPath(Redacted.value(options.url), schema)
  const client = PgClient.layer({
    url: Redacted.make(url),
    maxConnections: options.maxConnections ?? 10,
    applicationName: "leadgraph"
  }).pipe(Layer.mapError((e) => new Store.StoreError({ reason: "Unavailable", operation: "connect", cause: e })))
  if (schema === undefined) return client
  return Layer.tap(client, (context) =>
    SqlClient.SqlClient.pipe(
      Effect.flatMap((sql) =>
        // two processes creating the schema at once: the loser sees a
        // duplicate-key error, and the schema exists all the same
        sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`).pipe(
          Effect.catchAll((error) =>
            sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = ${schema}`.pipe(
              Effect.flatMap((rows) => rows[0]?.n === 1 ? Effect.void : Effect.fail(error))
            )
          )
        )
      ),
      mapErrors("connect"),
      Effect.provide(context)
    ))
}

const withSearchPath = (url: string, schema: string): string => {
  const parsed = new URL(url)
  parsed.searchParams.set("options", `-c search_path=${schema}`)
  return parsed.toString()
}

/**
 * `DATABASE_URL` when it is set, the embedded database otherwise.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: EmbeddedOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError> =>
  Layer.unwrapEffect(
    Config.option(
      Config.redacted("DATABASE_URL").pipe(
        Config.withDescription("Postgres URL of the store; the embedded PGlite database when unset")
      )
    ).pipe(
      Effect.map(Option.match({
        onNone: () => layerEmbedded(options),
        onSome: (url) => layerUrl({ url })
      })),
      Effect.mapError((cause) =>
        new Store.StoreError({ reason: "Invalid", operation: "connect", detail: "bad DATABASE_URL", cause })
      )
    )
  )
