/**
 * Where the store's Postgres comes from: a server given by URL, or an
 * embedded PGlite served on 127.0.0.1 through `@electric-sql/pglite-socket`,
 * both to the same `@effect/sql-pg` client, so one code path (migrations,
 * row-level security, repositories) serves both.
 *
 * On a server, `DATABASE_URL` names the runtime role, which owns nothing
 * (see `Tenancy`); migrations run as the owner, through
 * `MIGRATION_DATABASE_URL` or `leadgraph migrate --database-url`
 * ({@link layerOwner}).
 *
 * The embedded database is one process's: a lock file beside its data
 * directory (`.leadgraph/demo/pgdata.lock`) names the process that holds it, and
 * a second process fails with {@link DatabaseLocked}; a lock left by a
 * process that is gone is taken over. PGlite runs one session, as its
 * bootstrap superuser, shared by every connection: {@link layerEmbedded}
 * applies the migrations as that superuser, then switches the session for
 * good to the application role with `SET SESSION AUTHORIZATION`. After
 * that, `RESET ROLE`, `RESET SESSION AUTHORIZATION` and `DISCARD ALL` keep
 * the application role, `SET ROLE` to the superuser is refused, and
 * row-level security and the tenant binding hold as on a server. What PGlite
 * cannot refuse: `SET SESSION AUTHORIZATION` naming the superuser (the
 * session was authenticated as it), or the same through
 * `set_config('session_authorization', ...)` or `pg_settings`, after which
 * every check is bypassed. The embedded database isolates tenants against
 * mistakes, not against SQL chosen by an attacker; that takes a server.
 *
 * @since 0.1.0
 */
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Store } from "@leadgraph/core"
import { Config, Effect, Layer, Option, Redacted, Schema } from "effect"
import { mkdir, rm } from "node:fs/promises"
import { dirname, resolve } from "node:path"
import * as DataDirLock from "./internal/dataDirLock.js"
import { mapErrors } from "./internal/errors.js"
import * as Migrations from "./Migrations.js"

/**
 * The default data directory of the embedded database: the one `leadgraph
 * demo` fills, so that after the demo every command without `DATABASE_URL`
 * (`runs`, `report`, `serve`, `run --dry-run`) works over its data.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultDataDir = ".leadgraph/demo/pgdata"

/**
 * The embedded data directory is held by another process (or by another
 * layer of this one): the `cause` of the `StoreError` (reason `Conflict`)
 * that {@link layerEmbedded} fails with.
 *
 * @since 0.1.0
 * @category errors
 */
export class DatabaseLocked extends Schema.TaggedError<DatabaseLocked>()("DatabaseLocked", {
  /** The data directory. */
  dataDir: Schema.String,
  /** The lock file. */
  lockFile: Schema.String,
  /** The holder's process id. */
  pid: Schema.Number,
  /** The host the holder runs on (a lock from another host cannot be checked, and counts as held). */
  host: Schema.String,
  /** The holder's command line, as it recorded it (credentials in URLs masked). */
  command: Schema.String
}) {
  override get message(): string {
    return `the embedded database ${this.dataDir} is in use by process ${this.pid}${
      this.command === "" ? "" : ` (${this.command})`
    } on ${this.host}, and one process at a time may open it: stop that process first (or wait for it to end), ` +
      `or set DATABASE_URL to a Postgres server, which many processes share; if process ${this.pid} is not leadgraph, ` +
      `delete ${this.lockFile}`
  }
}

/**
 * The process holding the embedded database, when `error` says it is held.
 *
 * @since 0.1.0
 * @category errors
 */
export const lockedBy = (error: Store.StoreError): Option.Option<DatabaseLocked> =>
  error.cause instanceof DatabaseLocked ? Option.some(error.cause) : Option.none()

/**
 * Options of {@link layerEmbedded}.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmbeddedOptions {
  /** Data directory; `"memory://"` keeps the database in memory. Default {@link defaultDataDir}. */
  readonly dataDir?: string | undefined
  /**
   * The pool size (default 4). The socket server accepts two connections
   * more, because connections beyond its limit are dropped, not queued, and
   * the server notices a closed connection a moment after the pool does.
   * PGlite runs one statement at a time anyway.
   */
  readonly maxConnections?: number | undefined
  /**
   * The application role the session runs as once the migrations are
   * applied (default `leadgraph_app`): what `Tenancy` checks and uses.
   */
  readonly appRole?: string | undefined
  /**
   * Keep the session as PGlite's superuser and apply nothing on open: for
   * `leadgraph migrate` and maintenance, never for tenant work (the store's
   * safety check refuses it). Default `false`.
   */
  readonly owner?: boolean | undefined
  /**
   * A dump to start from (PGlite's data-directory tarball, as
   * {@link dumpMigrated} makes one), for a directory that holds no database
   * yet, such as `"memory://"`: it is unpacked instead of creating an empty
   * database (a directory that already holds one fails to open). The
   * migrations still run on open and apply whatever the dump lacks.
   */
  readonly loadDataDir?: Blob | undefined
}

const unavailable = (detail: string) => (cause: unknown) =>
  new Store.StoreError({ reason: "Unavailable", operation: "connect", detail, cause })

const locked = (dataDir: string) => (e: DataDirLock.Held | DataDirLock.LockFailed) =>
  e._tag === "Held"
    ? new Store.StoreError({
      reason: "Conflict",
      operation: "connect",
      detail: `embedded database ${dataDir} is in use by process ${e.holder.pid}${
        e.holder.command === "" ? "" : ` (${e.holder.command})`
      } on ${e.holder.host}; one process at a time may open it`,
      cause: new DatabaseLocked({ dataDir, lockFile: e.path, ...e.holder })
    })
    : new Store.StoreError({ reason: "Unavailable", operation: "connect", detail: `cannot lock ${e.path}`, cause: e })

/**
 * PGlite in `dataDir` (started from `loadDataDir` when given), served on
 * 127.0.0.1 at a random port for the scope, and a pool of
 * `maxConnections` through it.
 */
const open = (dataDir: string, maxConnections: number, loadDataDir: Blob | undefined) =>
  Effect.gen(function*() {
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => PGlite.create(dataDir, loadDataDir === undefined ? {} : { loadDataDir }),
        catch: unavailable("PGlite did not start")
      }),
      (db) => Effect.promise(() => db.close()).pipe(Effect.ignore)
    )
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: maxConnections + 2 })
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => server.start(), catch: unavailable("PGlite socket server did not start") }),
      () => Effect.promise(() => server.stop())
    )
    const port = Number(server.getServerConn().split(":").pop())
    const client = PgClient.layer({
      host: "127.0.0.1",
      port,
      username: "postgres",
      database: "postgres",
      maxConnections,
      applicationName: "leadgraph"
    }).pipe(Layer.mapError((e) => new Store.StoreError({ reason: "Unavailable", operation: "connect", cause: e })))
    return { db, client }
  })

/**
 * A new in-memory database with every migration applied (granted to
 * `appRole`, default `leadgraph_app`), dumped as PGlite's uncompressed
 * data-directory tarball: what {@link EmbeddedOptions.loadDataDir} starts
 * from, so that many short-lived databases (a test suite's) skip creating
 * and migrating each one (about 1 s to open against 4 to 7 here).
 *
 * @since 0.1.0
 * @category maintenance
 */
export const dumpMigrated = (options?: { readonly appRole?: string | undefined }): Effect.Effect<Blob, Store.StoreError> =>
  Effect.scoped(Effect.gen(function*() {
    const { client, db } = yield* open("memory://", 2, undefined)
    yield* Migrations.run({ appRole: options?.appRole ?? Migrations.defaultAppRole }).pipe(Effect.provide(client))
    return yield* Effect.tryPromise({
      try: () => db.dumpDataDir("none"),
      catch: unavailable("PGlite could not dump its data directory")
    })
  })).pipe(Effect.withSpan("Database.dumpMigrated"))

/**
 * An embedded PGlite database, served on 127.0.0.1 at a random port and
 * reached through the `@effect/sql-pg` client. A data directory on disk is
 * locked for the layer's lifetime (see {@link DatabaseLocked}); the
 * migrations are applied on open, and the session then runs as the
 * application role (see the module comment for what that holds and what
 * not). Closed with the layer.
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
    const appRole = options?.appRole ?? Migrations.defaultAppRole
    if (!Migrations.validRole(appRole)) {
      const detail = `bad role name "${appRole}"`
      return yield* new Store.StoreError({ reason: "Invalid", operation: "connect", detail })
    }
    if (!dataDir.includes("://")) {
      yield* Effect.tryPromise({
        try: () => mkdir(dirname(resolve(dataDir)), { recursive: true }),
        catch: unavailable(`cannot create the parent of ${dataDir}`)
      })
      yield* DataDirLock.acquire(dataDir).pipe(Effect.mapError(locked(dataDir)))
      yield* Effect.tryPromise({
        try: () => mkdir(dataDir, { recursive: true }),
        catch: unavailable(`cannot create ${dataDir}`)
      })
    }
    const { client } = yield* open(dataDir, maxConnections, options?.loadDataDir)
    if (options?.owner === true) return client
    // every connection shares the one session: switching it switches them all
    return Layer.tap(client, (context) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* Migrations.run({ appRole })
        yield* sql.unsafe(`SET SESSION AUTHORIZATION ${appRole}`)
      }).pipe(mapErrors("connect"), Effect.provide(context)))
  }))

/**
 * Removes an embedded database's data directory (default
 * {@link defaultDataDir}), under its lock: a directory another process has
 * open is left alone, with the `StoreError` of {@link layerEmbedded}
 * ({@link DatabaseLocked} as its cause). A directory that does not exist is
 * fine.
 *
 * @since 0.1.0
 * @category maintenance
 */
export const removeEmbedded = (dataDir: string = defaultDataDir): Effect.Effect<void, Store.StoreError> =>
  Effect.scoped(Effect.gen(function*() {
    yield* Effect.tryPromise({
      try: () => mkdir(dirname(resolve(dataDir)), { recursive: true }),
      catch: unavailable(`cannot create the parent of ${dataDir}`)
    })
    yield* DataDirLock.acquire(dataDir).pipe(Effect.mapError(locked(dataDir)))
    yield* Effect.tryPromise({
      try: () => rm(dataDir, { recursive: true, force: true }),
      catch: (cause) => new Store.StoreError({ reason: "Unavailable", operation: "remove", detail: `cannot remove ${dataDir}`, cause })
    })
  })).pipe(Effect.withSpan("Database.removeEmbedded"))

/**
 * Options of {@link layerUrl}.
 *
 * @since 0.1.0
 * @category models
 */
export interface UrlOptions {
  /** The runtime role's URL (what `DATABASE_URL` holds). */
  readonly url: Redacted.Redacted<string>
  /** Pool size (default 10). */
  readonly maxConnections?: number | undefined
  /**
   * A schema to work in (created when missing, and put first on every
   * connection's `search_path`), for example one per test suite.
   */
  readonly schema?: string | undefined
  /**
   * The owner's URL. When given, the schema is created and pending
   * migrations applied through one short-lived connection as the owner
   * before the pool opens.
   */
  readonly migrationUrl?: Redacted.Redacted<string> | undefined
  /** The application role the migrations grant to (default `leadgraph_app`). */
  readonly appRole?: string | undefined
}

const pool = (url: string, maxConnections: number) =>
  PgClient.layer({ url: Redacted.make(url), maxConnections, applicationName: "leadgraph" }).pipe(
    Layer.mapError((e) => new Store.StoreError({ reason: "Unavailable", operation: "connect", cause: e }))
  )

const ensureSchema = (schema: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const exists = sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = ${schema}`.pipe(
      Effect.map((rows) => rows[0]?.n === 1)
    )
    // two processes creating the schema at once: the loser sees a
    // duplicate-key error, and the schema exists all the same
    return Effect.flatMap(exists, (found) =>
      found ? Effect.void : sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`).pipe(
        Effect.asVoid,
        Effect.catchAll((error) => Effect.flatMap(exists, (now) => now ? Effect.void : Effect.fail(error)))
      ))
  }).pipe(mapErrors("connect"))

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
  const at = (url: Redacted.Redacted<string>) =>
    schema === undefined ? Redacted.value(url) : withSearchPath(Redacted.value(url), schema)
  const runtime = pool(at(options.url), options.maxConnections ?? 10)
  const ready = schema === undefined
    ? runtime
    : Layer.tap(runtime, (context) => Effect.provide(ensureSchema(schema), context))
  const migrationUrl = options.migrationUrl
  if (migrationUrl === undefined) return ready
  const migrate = Layer.scopedDiscard(Effect.gen(function*() {
    const context = yield* Layer.build(pool(at(migrationUrl), 1))
    const ensured = schema === undefined ? Effect.void : ensureSchema(schema)
    yield* Effect.provide(Effect.zipRight(ensured, Migrations.run({ appRole: options.appRole })), context)
  }).pipe(Effect.scoped))
  return Layer.provide(ready, migrate)
}

const withSearchPath = (url: string, schema: string): string => {
  const parsed = new URL(url)
  parsed.searchParams.set("options", `-c search_path=${schema}`)
  return parsed.toString()
}

const databaseUrl = Config.option(
  Config.redacted("DATABASE_URL").pipe(
    Config.withDescription("Postgres URL of the store, as the runtime role; the embedded PGlite database when unset")
  )
)

const migrationDatabaseUrl = Config.option(
  Config.redacted("MIGRATION_DATABASE_URL").pipe(
    Config.withDescription("Postgres URL of the role that owns the store's tables; migrations run through it")
  )
)

const badConfig = (cause: unknown) =>
  new Store.StoreError({
    reason: "Invalid",
    operation: "connect",
    detail: "bad DATABASE_URL or MIGRATION_DATABASE_URL",
    cause
  })

/**
 * `DATABASE_URL` (the runtime role) when it is set, the embedded database
 * otherwise. With `MIGRATION_DATABASE_URL` set too, pending migrations are
 * applied through it on open; without, they must have been applied
 * (`leadgraph migrate`), or the store refuses to start.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: EmbeddedOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError> =>
  Layer.unwrapEffect(
    Effect.all([databaseUrl, migrationDatabaseUrl]).pipe(
      Effect.map(([url, migrationUrl]) =>
        Option.match(url, {
          onNone: () => layerEmbedded(options),
          onSome: (url) =>
            layerUrl({ url, migrationUrl: Option.getOrUndefined(migrationUrl), appRole: options?.appRole })
        })
      ),
      Effect.mapError(badConfig)
    )
  )

/**
 * The owner's connection, for migrations and maintenance: `url` when given,
 * else `MIGRATION_DATABASE_URL`, else `DATABASE_URL` (which then has to name
 * the owner), else the embedded database as its superuser (no migration on
 * open).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerOwner = (
  options?: { readonly url?: Redacted.Redacted<string> | undefined; readonly dataDir?: string | undefined }
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError> =>
  options?.url !== undefined ? layerUrl({ url: options.url, maxConnections: 2 }) : Layer.unwrapEffect(
    Effect.all([migrationDatabaseUrl, databaseUrl]).pipe(
      Effect.map(([owner, runtime]) =>
        Option.match(Option.orElse(owner, () => runtime), {
          onNone: () => layerEmbedded({ dataDir: options?.dataDir, owner: true }),
          onSome: (url) => layerUrl({ url, maxConnections: 2 })
        })
      ),
      Effect.mapError(badConfig)
    )
  )
