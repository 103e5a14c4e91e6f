/**
 * Tenancy: the one way tenant work reaches Postgres. Every tenant-scoped
 * statement runs in a transaction that switches to the application role
 * (`SET LOCAL ROLE`, via `set_config('role', ..., true)`) and sets the tenant
 * (`set_config('app.tenant_id', ..., true)`), so row-level security decides
 * which rows it sees; both settings end with the transaction.
 *
 * Building the layer applies the migrations and then checks, as the
 * application role, that tenant work cannot bypass row-level security: the
 * role is no superuser, has no BYPASSRLS, owns (directly or through
 * membership) no table, and every table with a `tenant_id` has RLS enabled
 * and forced. Otherwise the layer fails with a `StoreError` of reason
 * `Unsafe` and no tenant work runs.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { Store } from "@leadgraph/core"
import type { Tenant } from "@leadgraph/core"
import { Context, Effect, FiberRef, Layer, Option, Queue, Stream, Take } from "effect"
import { fromSqlError, isSqlError, mapErrors } from "./internal/errors.js"
import * as Migrations from "./Migrations.js"

/**
 * The tenancy service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The role tenant work runs as. */
  readonly appRole: string
  /**
   * Whether every connection shares one database session, as with PGlite
   * behind `pglite-socket`: a transaction left open there holds up every
   * other connection until it ends.
   */
  readonly sharedSession: boolean
  /** Whether the current fiber already runs in a tenant's (or the registry's) transaction. */
  readonly inTransaction: Effect.Effect<boolean>
  /**
   * Runs `effect` in one transaction as the application role with the tenant
   * set. Nested calls for the same tenant join the transaction; a nested call
   * for another tenant fails with `Forbidden`.
   */
  readonly withTenant: <A, E, R>(
    tenantId: Tenant.TenantId,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | Store.StoreError, R>
  /**
   * Runs `stream` in one transaction as the application role with the tenant
   * set, held open from the first pull until the stream ends or is
   * interrupted, so a statement streamed through a cursor reads under
   * row-level security throughout. The stream is produced by a fiber of its
   * own and handed over through a small bounded queue (back-pressure: the
   * producer never runs more than two chunks ahead). Inside a transaction of
   * the same tenant it joins that transaction instead: the caller must then
   * not run other statements until the stream ends, as the cursor holds the
   * connection.
   */
  readonly withTenantStream: <A, E, R>(
    tenantId: Tenant.TenantId,
    stream: Stream.Stream<A, E, R>
  ) => Stream.Stream<A, E | Store.StoreError, R>
  /**
   * Runs `effect` as the application role in the registry scope: it may read
   * `tenants` and `odoo_connections` of every tenant, and nothing else.
   */
  readonly registry: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | Store.StoreError, R>
}

/**
 * The tenancy tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Tenancy extends Context.Tag("@leadgraph/adapters/Tenancy")<Tenancy, Service>() {}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The role tenant work runs as. Default `leadgraph_app`. */
  readonly appRole?: string | undefined
  /** Apply the migrations first (default `true`). */
  readonly migrate?: boolean | undefined
}

interface SafetyRow {
  readonly role: string
  readonly rolsuper: boolean
  readonly rolbypassrls: boolean
  readonly owned: number
  readonly unprotected: number
}

/**
 * Checks that tenant work, run as `appRole`, is subject to row-level
 * security; fails with reason `Unsafe` otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkSafety = (appRole: string): Effect.Effect<void, Store.StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.withTransaction(
      sql`SELECT set_config('role', ${appRole}, true)`.pipe(Effect.zipRight(sql<SafetyRow>`
        SELECT current_user AS role, r.rolsuper, r.rolbypassrls,
          (SELECT count(*) FROM pg_class c
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
              AND pg_has_role(current_user, c.relowner, 'USAGE'))::int AS owned,
          (SELECT count(*) FROM pg_class c
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
              AND EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
              AND NOT (c.relrowsecurity AND c.relforcerowsecurity))::int AS unprotected
        FROM pg_roles r WHERE r.rolname = current_user`))
    )
    const row = rows[0]
    const problem = row === undefined
      ? "the application role does not exist"
      : row.rolsuper
      ? `role ${row.role} is a superuser`
      : row.rolbypassrls
      ? `role ${row.role} has BYPASSRLS`
      : row.owned > 0
      ? `role ${row.role} owns ${row.owned} table(s) (owners bypass row-level security)`
      : row.unprotected > 0
      ? `${row.unprotected} table(s) with a tenant_id lack forced row-level security`
      : undefined
    if (problem !== undefined) {
      return yield* new Store.StoreError({ reason: "Unsafe", operation: "start", detail: problem })
    }
  }).pipe(
    Effect.catchIf(isSqlError, (e) =>
      Effect.fail(
        new Store.StoreError({
          reason: "Unsafe",
          operation: "start",
          detail: `cannot switch to role ${appRole}: ${fromSqlError("start", e).detail ?? ""}`,
          cause: e
        })
      )),
    Effect.withSpan("Tenancy.checkSafety")
  )

/**
 * Builds the tenancy service: migrations (unless `migrate: false`), then the
 * safety check.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<Service, Store.StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const appRole = options?.appRole ?? Migrations.defaultAppRole
    if (options?.migrate !== false) yield* Migrations.run({ appRole })
    yield* checkSafety(appRole)
    const sql = yield* SqlClient.SqlClient
    const sharedSession = yield* sql<{ pglite: boolean }>`SELECT version() LIKE '%PGlite%' AS pglite`.pipe(
      Effect.map((rows) => rows[0]?.pglite === true)
    )
    // the scope this fiber's transaction is bound to: a tenant, or the registry
    const current = FiberRef.unsafeMake<Option.Option<{ readonly tenant: Tenant.TenantId | undefined }>>(Option.none())
    const nested = (detail: string) =>
      Effect.fail(new Store.StoreError({ reason: "Forbidden", operation: "withTenant", detail }))

    const begin = (tenantId: Tenant.TenantId) =>
      sql`SELECT set_config('role', ${appRole}, true), set_config('app.tenant_id', ${tenantId}, true)`

    const withTenant = <A, E, R>(tenantId: Tenant.TenantId, effect: Effect.Effect<A, E, R>) =>
      Effect.flatMap(FiberRef.get(current), (scope): Effect.Effect<A, E | Store.StoreError, R> => {
        if (Option.isSome(scope)) {
          return scope.value.tenant === tenantId ? effect : nested("nested scope of another tenant or of the registry")
        }
        return sql.withTransaction(
          begin(tenantId).pipe(Effect.zipRight(Effect.locally(effect, current, Option.some({ tenant: tenantId }))))
        ).pipe(Effect.mapError((e) => isSqlError(e) ? fromSqlError("transaction", e) : e))
      })

    const withTenantStream = <A, E, R>(tenantId: Tenant.TenantId, stream: Stream.Stream<A, E, R>) =>
      Stream.unwrapScoped(
        Effect.flatMap(FiberRef.get(current), (scope) => {
          if (Option.isSome(scope)) {
            return scope.value.tenant === tenantId
              ? Effect.succeed<Stream.Stream<A, E | Store.StoreError, R>>(stream)
              : nested("nested scope of another tenant or of the registry")
          }
          return Effect.gen(function*() {
            const queue = yield* Effect.acquireRelease(
              Queue.bounded<Take.Take<A, E | Store.StoreError>>(2),
              Queue.shutdown
            )
            // the transaction lives in this fiber, interrupted (and so rolled
            // back) when the consumer stops early
            yield* withTenant(tenantId, Stream.runIntoQueue(stream, queue)).pipe(
              Effect.catchAllCause((cause) => Queue.offer(queue, Take.failCause(cause))),
              Effect.forkScoped
            )
            return Stream.flattenTake(Stream.fromQueue(queue))
          })
        })
      )

    // settings made in a savepoint outlive it, so the registry scope never
    // nests in a tenant's transaction (nor a tenant's in the registry's)
    const registry = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.flatMap(FiberRef.get(current), (scope): Effect.Effect<A, E | Store.StoreError, R> =>
        Option.isSome(scope) ? nested("the registry scope inside a tenant scope") : sql.withTransaction(
          sql`SELECT set_config('role', ${appRole}, true), set_config('app.scope', 'registry', true)`.pipe(
            Effect.zipRight(Effect.locally(effect, current, Option.some({ tenant: undefined })))
          )
        ).pipe(Effect.mapError((e) => isSqlError(e) ? fromSqlError("registry", e) : e)))

    const inTransaction = Effect.map(FiberRef.get(current), Option.isSome)

    return { appRole, sharedSession, inTransaction, withTenant, withTenantStream, registry } satisfies Service
  }).pipe(mapErrors("start"))

/**
 * The tenancy layer over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Tenancy, Store.StoreError, SqlClient.SqlClient> =>
  Layer.effect(Tenancy, make(options))
